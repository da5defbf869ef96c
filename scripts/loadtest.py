"""Load test: many gradio_client users asking one `rag serve` at once.

    python scripts/loadtest.py                      # the full test: 50 users for 60 seconds
    python scripts/loadtest.py --users 20 --seconds 10 --json out.json

Starts `rag serve` (a separate process, as users run it) over a generated corpus in
which each of a dozen companies has one planted fact, then lets every user ask
question after question through `/ask` for the given time. Every answer is checked
(it must state the planted fact); latencies are measured per request. The server's
resident memory (VmRSS) is read when it is idle, after a warm-up round and at the end.
Prints requests, throughput, p50/p95/p99/max latency, errors, wrong answers, and RSS;
exits 1 when any request failed or was wrong, or memory grew past the allowance.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Before gradio_client imports huggingface_hub: the clients must not phone home either.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

COMPANIES = ["星河科技", "云帆集团", "海岳能源", "青松物流", "白鹭航空", "金桥银行", "赤霞食品", "玄武汽车",
             "蓝鲸游戏", "紫藤医药", "黄山酒店", "长风电气"]
FILLER_SUBJECTS = ["京东", "天猫", "抖音", "拼多多", "美团", "小米", "华为", "比亚迪"]


@dataclass(frozen=True)
class Probe:
    question: str
    expect: str


@dataclass
class Report:
    users: int
    seconds: float
    requests: int = 0
    errors: int = 0
    wrong: int = 0
    throughput_rps: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    pipeline_ms: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    rss_growth_mb: float = 0.0
    server_cpu_ms_per_request: float = 0.0
    client_processes: int = 1
    first_errors: list[str] = field(default_factory=list)
    server: str = ""


def make_corpus(folder: Path, n_filler: int = 200, seed: int = 11) -> list[Probe]:
    """A dozen companies with one planted revenue each, among generated filler briefs."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    probes = []
    for i, name in enumerate(COMPANIES):
        revenue = 101 + 7 * i
        (folder / f"company{i:02d}.txt").write_text(
            f"{name}年度报告\n{name}是一家总部位于第{i + 1}号园区的企业。{name}2024年的营业收入为{revenue}亿元，"
            f"同比增长{i + 3}%。{name}的员工超过{(i + 2) * 1000}人。", encoding="utf-8")
        probes.append(Probe(f"{name}2024年的营业收入是多少？", f"{revenue}亿元"))
    for j in range(n_filler):
        body = "".join(f"{rng.choice(FILLER_SUBJECTS)}推出了新的服务，成交额同比增长{rng.randint(1, 300)}%。"
                       for _ in range(rng.randint(20, 40)))
        (folder / f"brief{j:04d}.txt").write_text(f"第{j}号行业简报\n{body}", encoding="utf-8")
    return probes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc; psutil elsewhere)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return t.user + t.system


class Server:
    """`rag serve` in a child process, on a free port of 127.0.0.1."""

    def __init__(self, docs: Path, index: Path, extra: list[str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        cmd = [sys.executable, "-m", "rag.cli", "serve", "--docs", str(docs), "--index", str(index),
               "--host", "127.0.0.1", "--port", str(self.port), "-q", *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.banner = ""

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:  # the banner line says it is listening
            self.banner += line
            if line.startswith("rag: chat and API on"):
                threading.Thread(target=self._drain, daemon=True).start()
                return
            if time.monotonic() > deadline:
                break
        raise RuntimeError(f"the server did not start: {self.banner[-2000:]}")

    def _drain(self) -> None:
        for _ in self.proc.stdout:
            pass

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    pipeline_ms: list[float] = field(default_factory=list)  # the server's own time per answer
    errors: int = 0
    wrong: int = 0
    first_errors: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.latencies += other.latencies
        self.pipeline_ms += other.pipeline_ms
        self.errors += other.errors
        self.wrong += other.wrong
        self.first_errors = (self.first_errors + other.first_errors)[:5]


def _users(url: str, probes: list[Probe], first: int, n: int, seconds: float, go=None) -> Tally:
    """`n` threads, each with its own gradio_client, asking until the time is up.

    The clock starts once every client is connected (and, with `go`, a barrier shared
    with the other client processes, every client of every process).
    """
    from gradio_client import Client

    tally, lock = Tally(), threading.Lock()
    deadline: list[float] = [0.0]

    def start_clock() -> None:
        if go is not None:
            go.wait()
        deadline[0] = time.monotonic() + seconds

    start = threading.Barrier(n + 1, action=start_clock)

    def user(i: int) -> None:
        try:
            client, failure = Client(url, verbose=False), ""
        except Exception as exc:  # noqa: BLE001 - counted, not raised
            client, failure = None, f"error: connect: {type(exc).__name__}: {exc}"
        start.wait()
        if client is None:
            with lock:
                tally.errors += 1
                tally.first_errors.append(failure)
            return
        k = i
        while time.monotonic() < deadline[0]:
            probe = probes[k % len(probes)]
            k += 1
            t, answer = time.perf_counter(), None
            try:
                answer = client.predict(probe.question, api_name="/ask")
                ok = not answer["refused"] and probe.expect in answer["answer"]
                problem = "" if ok else f"wrong: {probe.question} -> {answer['answer'][:80]}"
            except Exception as exc:  # noqa: BLE001 - counted, not raised
                problem = f"error: {type(exc).__name__}: {str(exc)[:200]}"
            took = time.perf_counter() - t
            with lock:
                tally.latencies.append(took)
                if isinstance(answer, dict):
                    tally.pipeline_ms.append(float(answer.get("timings_ms", {}).get("total_ms", 0.0)))
                tally.errors += problem.startswith("error")
                tally.wrong += problem.startswith("wrong")
                if problem and len(tally.first_errors) < 5:
                    tally.first_errors.append(problem)

    threads = [threading.Thread(target=user, args=(first + i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    return tally


def _client_process(url, probes, first, n, seconds, go, results) -> None:
    results.put(_users(url, probes, first, n, seconds, go))


def run_users(url: str, probes: list[Probe], users: int, seconds: float, processes: int = 1) -> Tally:
    """Spread the users over `processes` client processes (a gradio_client costs more CPU than the
    server spends on an answer: one process of clients would measure itself, not the server)."""
    processes = max(1, min(processes, users))
    if processes == 1:
        return _users(url, probes, 0, users, seconds)
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    go, results = ctx.Barrier(processes), ctx.Queue()
    shares = [users // processes + (i < users % processes) for i in range(processes)]
    procs = [ctx.Process(target=_client_process, args=(url, probes, sum(shares[:i]), shares[i], seconds, go, results))
             for i in range(processes)]
    for p in procs:
        p.start()
    total = Tally()
    for _ in procs:
        total.add(results.get(timeout=seconds + 600))
    for p in procs:
        p.join(timeout=60)
    return total


def default_processes() -> int:
    """Client processes: the cores left after the server's one, at most 8."""
    return max(1, min(8, (os.cpu_count() or 2) - 1))


def loadtest(users: int, seconds: float, docs: Path | None = None, index: Path | None = None,
             probes: list[Probe] | None = None, extra: list[str] | None = None,
             processes: int | None = None) -> Report:
    work = Path(tempfile.mkdtemp(prefix="rag-loadtest-"))
    if docs is None:
        docs = work / "docs"
        probes = make_corpus(docs)
    if not probes:
        raise SystemExit("give --questions with --docs: a JSON lines file of {\"question\", \"expect\"}")
    server = Server(docs, index or work / "index", extra or ["--mode", "lexical"])
    report = Report(users, seconds)
    processes = processes or default_processes()
    report.client_processes = processes
    try:
        server.wait_ready()
        report.server = server.banner.strip().splitlines()[-1]
        report.rss_mb["idle"] = rss_mb(server.proc.pid)
        run_users(server.url, probes, users, min(3.0, seconds))  # warm-up: first requests, sessions, caches
        report.rss_mb["warm"] = rss_mb(server.proc.pid)
        cpu0 = cpu_seconds(server.proc.pid)
        tally = run_users(server.url, probes, users, seconds, processes)
        report.server_cpu_ms_per_request = round(1000 * (cpu_seconds(server.proc.pid) - cpu0)
                                                 / max(1, len(tally.latencies)), 1)
        report.rss_mb["end"] = rss_mb(server.proc.pid)
        report.errors, report.wrong, report.first_errors = tally.errors, tally.wrong, tally.first_errors
    finally:
        server.stop()
    lat = sorted(x * 1000 for x in tally.latencies)
    report.requests = len(lat)
    report.throughput_rps = round(len(lat) / seconds, 1)
    report.latency_ms = {f"p{p}": round(_percentile(lat, p), 1) for p in (50, 95, 99)}
    report.latency_ms["max"] = round(lat[-1], 1) if lat else 0.0
    inside = sorted(tally.pipeline_ms)
    report.pipeline_ms = {f"p{p}": round(_percentile(inside, p), 1) for p in (50, 95, 99)}
    report.rss_mb = {k: round(v, 1) for k, v in report.rss_mb.items()}
    report.rss_growth_mb = round(report.rss_mb["end"] - report.rss_mb["warm"], 1)
    return report


def rss_allowance_mb(report: Report) -> float:
    """How much the server may grow over the run: allocator noise, not a leak."""
    return max(32.0, 0.1 * report.rss_mb.get("warm", 0.0))


def format_report(r: Report) -> str:
    lines = [
        f"load test: {r.users} users x {r.seconds:g} s ({r.client_processes} client processes) against one server",
        f"  {r.server}",
        f"  requests {r.requests}  ({r.throughput_rps} req/s, server CPU {r.server_cpu_ms_per_request} ms each)  "
        f"errors {r.errors}  wrong answers {r.wrong}",
        "  latency ms (client, end to end): " + "  ".join(f"{k} {v}" for k, v in r.latency_ms.items()),
        "  answer ms (inside the server): " + "  ".join(f"{k} {v}" for k, v in r.pipeline_ms.items()),
        f"  server RSS MB: idle {r.rss_mb.get('idle')}  after warm-up {r.rss_mb.get('warm')}  "
        f"after the run {r.rss_mb.get('end')}  (growth {r.rss_growth_mb:+} MB, allowed {rss_allowance_mb(r):.0f})",
    ]
    lines += [f"  {e}" for e in r.first_errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--docs", type=Path, help="your documents (default: a generated corpus with planted facts)")
    ap.add_argument("--index", type=Path, help="index folder (default: a temporary one)")
    ap.add_argument("--questions", type=Path, help="with --docs: JSON lines of {\"question\": ..., \"expect\": ...}")
    ap.add_argument("--json", type=Path, help="also write the report here as JSON")
    ap.add_argument("--processes", type=int, help="client processes (default: cores - 1, at most 8)")
    ap.add_argument("server_args", nargs="*", help="extra `rag serve` arguments, after --")
    args = ap.parse_args(argv)
    probes = None
    if args.questions:
        rows = [json.loads(ln) for ln in args.questions.read_text(encoding="utf-8").splitlines() if ln.strip()]
        probes = [Probe(r["question"], r["expect"]) for r in rows]
    report = loadtest(args.users, args.seconds, args.docs, args.index, probes, args.server_args or None,
                      args.processes)
    print(format_report(report), flush=True)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1), encoding="utf-8")
    ok = report.errors == 0 and report.wrong == 0 and report.requests > 0 \
        and report.rss_growth_mb <= rss_allowance_mb(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""What the page does with uploaded files before indexing: types, sizes, counts, .zip members."""
from __future__ import annotations

import zipfile
from pathlib import Path

from ui.uploads import Limits, check_name, document_files, remove_file, save_files

LIMITS = Limits(max_files=3, max_mb=0.001)  # about 1 KB


def write(path: Path, text: str = "天宫一号于2011年发射。") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_supported_files_are_copied_and_others_refused_with_the_reason(tmp_path: Path) -> None:
    dest = tmp_path / "docs"
    saved = save_files([write(tmp_path / "a.txt"), write(tmp_path / "b.exe"), write(tmp_path / "big.md", "字" * 2000)],
                       dest, LIMITS)
    assert [(s.name, s.ok) for s in saved] == [("a.txt", True), ("b.exe", False), ("big.md", False)]
    assert saved[1].message.startswith("不支持的文件类型 .exe")
    assert "超过上限 0.001 MB" in saved[2].message and "RAG_UPLOAD_MAX_MB" in saved[2].message
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt"]


def test_a_zip_is_unpacked_flat_within_the_count_limit(tmp_path: Path) -> None:
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("../../evil.txt", "sub/b.md", "c.html", "d.txt", "x.bin"):
            z.writestr(name, "内容")
    dest = tmp_path / "docs"
    saved = save_files([archive], dest, LIMITS)
    assert [(s.name, s.ok) for s in saved] == [("evil.txt", True), ("b.md", True), ("c.html", True),
                                              ("d.txt", False), ("x.bin", False)]
    assert "一次最多上传 3 个文件" in saved[3].message
    assert sorted(p.name for p in dest.iterdir()) == ["b.md", "c.html", "evil.txt"]  # nothing outside dest
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_broken_zip_and_a_replaced_file_are_said_so(tmp_path: Path) -> None:
    dest = tmp_path / "docs"
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    save_files([write(tmp_path / "a.txt")], dest, LIMITS)
    saved = save_files([bad, write(tmp_path / "a.txt")], dest, LIMITS)
    assert not saved[0].ok and "不是有效的 zip 文件" in saved[0].message
    assert saved[1].ok and saved[1].message == "已保存（替换了同名文件）"


def test_remove_only_plain_files_inside_the_folder(tmp_path: Path) -> None:
    dest = tmp_path / "docs"
    dest.mkdir()
    write(dest / "a.txt")
    write(tmp_path / "outside.txt")
    assert not remove_file(dest, "../outside.txt") and (tmp_path / "outside.txt").exists()
    assert remove_file(dest, "a.txt") and not (dest / "a.txt").exists()
    assert not remove_file(dest, "a.txt")


def test_document_files_and_names() -> None:
    assert check_name("报告.PDF", (".pdf",)) is None and check_name(".hidden.txt", (".txt",)) == "隐藏文件不上传"
    assert document_files([Path("/nonexistent")]) == []

"""A comment written after its rating is merged into the rating's row; nothing is rewritten."""
from __future__ import annotations

from pathlib import Path

from rag.evaluation.feedback import add_comment, add_feedback, read_feedback


def test_a_later_comment_lands_in_its_rating_row(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    first = add_feedback(path, "up", "天猫有多少品牌？", "373个[1]", "", ["https://example.com/a"])
    add_feedback(path, "down", "京东呢？", "无法回答")
    add_comment(path, first["id"], "很准")
    add_comment(path, first["id"], "来源也对")
    add_comment(path, "no-such-id", "orphan")  # kept in the file, shown nowhere
    rows = list(read_feedback(path))
    assert [(r["rating"], r["comment"]) for r in rows] == [("up", "很准；来源也对"), ("down", "")]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5  # appended only

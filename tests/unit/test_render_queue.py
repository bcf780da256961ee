"""What a job waiting for a render slot says: never "0 renders running" (nothing renders yet: a slot is about to
take it, or the renders are left to workers)."""

from __future__ import annotations

from talking_video_mcp.domain.eta import RenderQueue


def test_a_waiting_job_says_where_it_stands() -> None:
    queue = RenderQueue(waiting=("a", "b"), running=1)
    assert queue.detail("a") == "Waiting for a render slot (1 render running; it is next in line)."
    assert queue.detail("b") == "Waiting for a render slot (1 render running; 2nd in line, 1 ahead of it)."
    assert RenderQueue(waiting=("a",), running=3).detail("a") == (
        "Waiting for a render slot (3 renders running; it is next in line).")
    assert queue.detail("c") is None


def test_with_nothing_rendering_it_never_counts_zero_renders() -> None:
    queue = RenderQueue(waiting=("a", "b"), running=0)
    for job_id in ("a", "b"):
        said = queue.detail(job_id) or ""
        assert "0 render" not in said and "running" not in said, said
    assert queue.detail("a") == "Waiting for a renderer to take it (it is next in line)."
    assert queue.detail("b") == "Waiting for a renderer to take it (2nd in line, 1 ahead of it)."

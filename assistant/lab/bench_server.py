"""What `assistant serve` adds to an answer's time over the Python API (docs/server.md).

The same questions, asked of the same warm assistant, alternately through `Assistant.stream` in
this process and through the server's streaming `/v1/chat/completions` (uvicorn on a loopback
port, the page mounted as in `assistant serve`, an httpx client keeping its connection): the
first word of the draft (the Python API's first text piece; the server's first
`reasoning_content`), and the checked answer (the Python API's `Answer`; the server's `content`).

    python -m assistant.lab.bench_server [--index DIR] [--rounds 3] [--json FILE]

Each question is asked once unmeasured first, so that both paths find the model's prompt cache
in the same state; then the two paths alternate which goes first."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

QUESTIONS = [
    "Où Milley a-t-il rencontré Zaluzhny ?",
    "Qui est Valery Zaluzhny ?",
    "Quel jour Milley a-t-il rencontré Zaluzhny ?",
    "À quelle heure Milley est-il arrivé dans le sud-est de la Pologne ?",
    "Combien de temps Milley a-t-il passé avec Zaluzhny ?",
    "Quel est le prix du pain à Paris ?",  # refused
]


def python_api(assistant, question: str) -> tuple[float | None, float]:
    """(first word, answer) in seconds through `Assistant.stream`."""
    from assistant.types import Answer

    started = time.perf_counter()
    first = None
    for event in assistant.stream(question):
        if isinstance(event, str) and first is None:
            first = time.perf_counter() - started
        elif isinstance(event, Answer):
            return first, time.perf_counter() - started
    raise RuntimeError("no answer")


def server_api(client, url: str, question: str) -> tuple[float | None, float]:
    """(first word, answer) in seconds through the server's streaming chat completion."""
    body = {"model": "assistant", "messages": [{"role": "user", "content": question}], "stream": True}
    started = time.perf_counter()
    first = None
    with client.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            choices = json.loads(line[len("data: ") :])["choices"]
            delta = choices[0]["delta"] if choices else {}
            if delta.get("reasoning_content") and first is None:
                first = time.perf_counter() - started
            if delta.get("content"):
                return first, time.perf_counter() - started
    raise RuntimeError("no answer")


def start(app) -> tuple[str, object, threading.Thread]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def run(index: Path | None, rounds: int, out=sys.stdout) -> dict:
    import httpx

    from assistant.api import Assistant
    from assistant.config import SAMPLE_ARTICLE
    from assistant.server import create_server

    with tempfile.TemporaryDirectory() as scratch:
        assistant = Assistant.open(index or Path(scratch) / "index")
        if not assistant.articles():
            assistant.ingest([SAMPLE_ARTICLE])
        assistant.warm_up()
        url, server, thread = start(create_server(assistant, page=True))
        rows = []
        try:
            with httpx.Client(timeout=300) as client:
                for question in QUESTIONS:
                    python_api(assistant, question)  # unmeasured: the prompt cache as both will find it
                    for turn in range(rounds):
                        order = ("python", "server") if turn % 2 == 0 else ("server", "python")
                        timed = {path: python_api(assistant, question) if path == "python" else server_api(client, url, question) for path in order}
                        row = {"question": question}
                        for path, (first, answer) in timed.items():
                            row |= {f"{path}_first": first, f"{path}_answer": answer}
                        rows.append(row)
                        print(_row(rows[-1]), file=out, flush=True)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    return summary(rows, out)


def summary(rows: list[dict], out=sys.stdout) -> dict:
    """Medians of each path and of the per-question differences (server minus Python), in ms."""

    def median(values) -> float | None:
        values = [v for v in values if v is not None]
        return round(1000 * statistics.median(values), 1) if values else None

    firsts = [r for r in rows if r["python_first"] is not None and r["server_first"] is not None]
    figures = {
        "runs": len(rows),
        "python_first_word_ms": median(r["python_first"] for r in rows),
        "server_first_word_ms": median(r["server_first"] for r in rows),
        "added_first_word_ms": median(r["server_first"] - r["python_first"] for r in firsts),
        "python_answer_ms": median(r["python_answer"] for r in rows),
        "server_answer_ms": median(r["server_answer"] for r in rows),
        "added_answer_ms": median(r["server_answer"] - r["python_answer"] for r in rows),
        "added_first_word_ms_max": round(1000 * max(r["server_first"] - r["python_first"] for r in firsts), 1) if firsts else None,
    }
    print(
        f"\n{figures['runs']} runs. first word: Python {figures['python_first_word_ms']} ms, server {figures['server_first_word_ms']} ms, "
        f"added {figures['added_first_word_ms']} ms (median of the differences; max {figures['added_first_word_ms_max']} ms). "
        f"Answer: Python {figures['python_answer_ms']} ms, server {figures['server_answer_ms']} ms, added {figures['added_answer_ms']} ms.",
        file=out,
    )
    return figures


def _row(row: dict) -> str:
    def ms(value) -> str:
        return "   -  " if value is None else f"{1000 * value:6.0f}"

    return (
        f"first word python {ms(row['python_first'])} server {ms(row['server_first'])} | "
        f"answer python {ms(row['python_answer'])} server {ms(row['server_answer'])} ms | {row['question'][:48]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index to ask (default: the sample article in a temporary index)")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each path per question (default 3)")
    parser.add_argument("--json", type=Path, dest="json_out", help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.index, args.rounds)
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

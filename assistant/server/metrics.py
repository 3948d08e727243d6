"""What a server that runs for months says about itself: counters of answers by outcome,
refusals by reason, answer times and ingests, at `GET /metrics` in Prometheus's text format (the
convention every monitoring system reads), and one JSON log line per answer and per ingest.

The log line holds no question text unless asked (`log_questions`): a question can say more
about the person asking than the newsroom wants kept in logs."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

if TYPE_CHECKING:
    from ..types import Answer, IngestReport

log = logging.getLogger("assistant.server")
# Seconds: a warm answer takes about 2 s on two cores, a cold one 5 to 8, a queued one more.
BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The server's counters, in a registry of their own (one per server, not the process's)."""

    def __init__(self, log_questions: bool = False) -> None:
        self.log_questions = log_questions
        self.registry = CollectorRegistry()
        self.answers = Counter("assistant_answers", "Answers given, by outcome (answer, quote, refused, summary)", ["outcome"], registry=self.registry)
        self.refusals = Counter("assistant_refusals", "Refusals, by reason", ["reason"], registry=self.registry)
        self.errors = Counter("assistant_answer_errors", "Questions that ended in an error instead of an answer", registry=self.registry)
        self.seconds = Histogram("assistant_answer_seconds", "From the answer's turn to the checked answer", buckets=BUCKETS, registry=self.registry)
        self.first_word = Histogram("assistant_first_word_seconds", "From the answer's turn to the draft's first word", buckets=BUCKETS, registry=self.registry)
        self.waited = Histogram("assistant_wait_seconds", "Time a question waited for its turn", buckets=BUCKETS, registry=self.registry)
        self.ingested = Counter("assistant_ingested_articles", "Articles ingested through the server, by result", ["result"], registry=self.registry)

    def answered(self, answer: Answer, question: str, seconds: float, first_word: float | None, waited: float) -> None:
        self.answers.labels(answer.outcome or ("refused" if answer.refused else "answer")).inc()
        if answer.refused:
            self.refusals.labels(answer.refusal_reason or "unknown").inc()
        self.seconds.observe(seconds)
        if first_word is not None:
            self.first_word.observe(first_word)
        self.waited.observe(waited)
        line = {"event": "answer", "outcome": answer.outcome, "refusal_reason": answer.refusal_reason, "confidence": answer.confidence}
        line |= {"seconds": round(seconds, 3), "first_word_s": round(first_word, 3) if first_word is not None else None, "waited_s": round(waited, 3)}
        line |= {"citations": len(answer.citations), "question_chars": len(question)}
        if self.log_questions:
            line["question"] = question
        log.info(json.dumps(line, ensure_ascii=False))

    def failed(self, error: BaseException) -> None:
        self.errors.inc()
        log.info(json.dumps({"event": "answer_error", "error": type(error).__name__}))

    def ingest(self, report: IngestReport) -> None:
        counts = {"added": len(report.added), "replaced": len(report.replaced), "unchanged": len(report.unchanged), "rejected": len(report.rejected)}
        for result, count in counts.items():
            self.ingested.labels(result).inc(count)
        log.info(json.dumps({"event": "ingest", **counts}))

    def text(self) -> bytes:
        return generate_latest(self.registry)

"""The compliance matcher: ``content_check`` on a 2,000-character text against a 10,000-entry library.

The library is written to the bench database in a transaction that is rolled back, so
the measured path is the product's own: the version row, one compile (timed), the
pickled automaton shared through Redis (load timed), then ``content_check`` calls
served from the process's compiled library, with the version read from the database
once a second as in production.
"""

from __future__ import annotations

import os
import pickle
import random
import time

from bench.stats import percentile

LIBRARY_SIZE = int(os.environ.get("BENCH_COMPLIANCE_WORDS", "10000"))
TEXT_LENGTH = 2000
CHECKS = int(os.environ.get("BENCH_COMPLIANCE_CHECKS", "5000"))
# The 3,500 characters of the 常用字 list start at these code points often enough; a pool
# drawn from the CJK block's first part gives words and texts of realistic density.
_POOL = [chr(code_point) for code_point in range(0x4E00, 0x4E00 + 3500)]
_PUNCTUATION = "，。！？、；："


class _RollbackError(Exception):
    pass


def _library_words(rng: random.Random) -> list[str]:
    from risk.compliance.demo import DEFAULT_LIBRARY

    words = {word for word, _category, _action, _note in DEFAULT_LIBRARY}
    while len(words) < LIBRARY_SIZE:
        words.add("".join(rng.choice(_POOL) for _ in range(rng.randint(2, 6))))
    return sorted(words)


def _texts(rng: random.Random) -> dict[str, str]:
    """Three 2,000-character texts: ordinary prose with a few hits, a clean one, and a disguised one."""

    def prose() -> list[str]:
        characters: list[str] = []
        while len(characters) < TEXT_LENGTH:
            characters.extend(rng.choice(_POOL) for _ in range(rng.randint(8, 20)))
            characters.append(rng.choice(_PUNCTUATION))
        return characters

    with_hits = prose()
    for offset, phrase in ((300, "保本保息"), (900, "电话13800138000"), (1500, "稳赚不赔")):
        with_hits[offset : offset + len(phrase)] = list(phrase)
    disguised = prose()
    for offset, phrase in ((200, "保 本*保。息"), (1000, "穩賺不賠"), (1600, "１３８００１３８０００")):
        disguised[offset : offset + len(phrase)] = list(phrase)
    return {
        "with_hits": "".join(with_hits)[:TEXT_LENGTH],
        "clean": "".join(prose())[:TEXT_LENGTH],
        "disguised": "".join(disguised)[:TEXT_LENGTH],
    }


def measure() -> list[dict[str, object]]:
    from django.core.cache import cache
    from django.db import transaction

    from risk.compliance import matcher
    from risk.compliance.models import ContentAction, ContentCategory, SensitiveWord
    from risk.compliance.normalise import normalise_warm, term_normalise
    from risk.compliance.services import library_version_bump

    rng = random.Random(11)
    words = _library_words(rng)
    texts = _texts(rng)
    started = time.perf_counter()
    normalise_warm()
    tables_seconds = time.perf_counter() - started
    timings: dict[str, list[float]] = {name: [] for name in texts}
    hits: dict[str, int] = {}
    try:
        with transaction.atomic():
            SensitiveWord.objects.all().delete()
            SensitiveWord.objects.bulk_create(
                [
                    SensitiveWord(
                        word=word,
                        normalised=term_normalise(word),
                        category=ContentCategory.CUSTOM,
                        action=ContentAction.BLOCK if index % 3 else ContentAction.REVIEW,
                    )
                    for index, word in enumerate(words)
                ],
                batch_size=5000,
            )
            library_version_bump()
            matcher.library_forget()
            started = time.perf_counter()
            library = matcher.library_current()
            compile_seconds = time.perf_counter() - started
            pickled_bytes = len(pickle.dumps(library))
            matcher.library_forget()
            started = time.perf_counter()
            matcher.library_current()
            load_seconds = time.perf_counter() - started
            for name, text in texts.items():
                hits[name] = len(matcher.content_check(text))
            for index in range(CHECKS * len(texts)):
                name = list(texts)[index % len(texts)]
                text = texts[name]
                started = time.perf_counter()
                matcher.content_check(text)
                timings[name].append((time.perf_counter() - started) * 1000)
            cache.delete(f"compliance:library:{library.token}")
            raise _RollbackError
    except _RollbackError:
        pass
    matcher.library_forget()
    everything = [sample for samples in timings.values() for sample in samples]
    p99 = percentile(everything, 0.99)
    return [
        {
            "name": "compliance_content_check",
            "value": round(p99, 3),
            "unit": "ms p99",
            "target": "p99 well under 1 ms (2,000 chars, 10,000 entries)",
            "met": p99 < 1.0,
            "detail": {
                "p50_ms": round(percentile(everything, 0.5), 3),
                "p999_ms": round(percentile(everything, 0.999), 3),
                "checks": len(everything),
                "library_entries": len(words),
                "text_characters": TEXT_LENGTH,
                "hits_per_text": hits,
                "by_text_p50_p99_ms": {
                    name: [round(percentile(samples, 0.5), 3), round(percentile(samples, 0.99), 3)]
                    for name, samples in timings.items()
                },
                "compile_ms": round(compile_seconds * 1000, 1),
                "load_from_cache_ms": round(load_seconds * 1000, 1),
                "pickled_library_kb": round(pickled_bytes / 1024),
                "normalisation_tables_ms": round(tables_seconds * 1000, 1),
            },
        }
    ]

#!/usr/bin/env python3
"""Peer for `dataspace bench search`: the same corpus and queries on tantivy, in-process.

usage: tantivy_search.py CORPUS.jsonl QUERIES.jsonl
Indexes title, description and keywords with a 1–2 character n-gram tokenizer (so Chinese
queries of any length match, the approach the issue measured), runs each query as a phrase
query per CJK run / term per word across the fields, with an optional sector filter, counts
all matches and computes a sector facet with a terms aggregation. Prints JSON with per-query
latencies (ms) with and without the facet aggregation, and match counts.
"""
import json
import re
import sys
import tempfile
import time

import tantivy

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
WORD = re.compile(r"[0-9a-z]+")


def tokens(text):
    text = text.lower()
    parts = []
    for m in re.finditer(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+|[0-9a-z]+", text):
        parts.append(m.group(0))
    return parts


def main():
    corpus_path, queries_path = sys.argv[1], sys.argv[2]
    analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(min_gram=1, max_gram=2, prefix_only=False)).filter(tantivy.Filter.lowercase()).build()
    builder = tantivy.SchemaBuilder()
    for field in ("title", "description", "keywords"):
        builder.add_text_field(field, stored=False, tokenizer_name="cjk_ngram", index_option="position")
    builder.add_text_field("sector", stored=False, tokenizer_name="raw", fast=True)
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    schema = builder.build()
    index = tantivy.Index(schema, path=tempfile.mkdtemp(prefix="tantivy-bench-"))
    index.register_tokenizer("cjk_ngram", analyzer)
    writer = index.writer(heap_size=512_000_000, num_threads=2)
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            writer.add_document(tantivy.Document(id=d["id"], title=d["title"], description=d["description"], keywords=d["keywords"], sector=d["sector"]))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    queries = [json.loads(line) for line in open(queries_path, encoding="utf-8")]

    def build(q):
        must = []
        for t in tokens(q["q"]):
            per_field = []
            for field in ("title", "description", "keywords"):
                if len(t) == 1:
                    per_field.append((tantivy.Occur.Should, tantivy.Query.term_query(schema, field, t)))
                else:
                    per_field.append((tantivy.Occur.Should, index.parse_query('"%s"' % t, [field])))
            must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(per_field)))
        if q.get("sector"):
            must.append((tantivy.Occur.Must, tantivy.Query.term_query(schema, "sector", q["sector"])))
        if not must:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(must)

    agg = {"sectors": {"terms": {"field": "sector", "size": 30}}}
    for q in queries[:100]:
        query = build(q)
        searcher.search(query, limit=20, count=True)
    latencies, search_only, counts = [], [], []
    for q in queries:
        t0 = time.perf_counter()
        query = build(q)
        result = searcher.search(query, limit=20, count=True)
        t1 = time.perf_counter()
        searcher.aggregate(query, agg)
        t2 = time.perf_counter()
        latencies.append((t2 - t0) * 1000)
        search_only.append((t1 - t0) * 1000)
        counts.append(result.count)
    print(json.dumps({"latencies_ms": latencies, "search_only_ms": search_only, "counts": counts}))


if __name__ == "__main__":
    main()

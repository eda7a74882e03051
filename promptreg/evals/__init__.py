"""Evaluation: golden datasets, metrics, runners, the response cache, and the regression gate.

- `dataset.py`  read `evals/<name>.jsonl`: one case per line, inputs checked against the prompt
- `metrics.py`  the metric kinds (exact, contains, regex, json_valid, json_schema, similarity,
  python) and `judge.py` the LLM-as-judge one
- `runners.py`  how the prompt's model is called: command, python (`openai_runner.py`: openai)
- `calls.py`    one call through the cache, with retries and backoff; `cache.py` the cache
- `run.py`      run a prompt over its dataset; `summary.py` the per-metric table, cost, agreement
- `write.py`    record the scores in the front-matter; `gate.py` the gate (`check_gate`)
- `provenance.py` what scores are bound to (dataset, metric definitions and files, runner) and
  where the gate reads those files (working tree, index, commit)

Only `runner_spec.py` is imported when the config is read: the rest loads on `promptreg eval`.
"""

"""Evaluation: golden datasets, metrics, runners, the response cache, and the regression gate.

- `dataset.py`  read `evals/<name>.jsonl`: one case per line, inputs checked against the prompt
- `metrics.py`  the metric kinds (exact, contains, regex, json_valid, json_schema, similarity,
  python) and `judge.py` the LLM-as-judge one
- `runners.py`  how the prompt's model is called: command, python (`openai_runner.py`: openai);
  `runner_factory.py` builds the one a spec names (its grammar: `project/runner_spec.py`)
- `calls.py`    one call through the cache, with retries and backoff; `cache.py` the cache
- `run.py`      run a prompt over its dataset; `summary.py` the per-metric table, cost, agreement
- `write.py`    record the scores in the front-matter; `gate.py` the gate (`check_gate`)
- `provenance.py` what scores are bound to (dataset, metric definitions and files, runner) and
  where the gate reads those files (working tree, index, commit)

Nothing here is imported when the config is read (the runner grammar `evals.runner` is checked
with lives in `promptreg/project/runner_spec.py`): all of it loads on `promptreg eval`.
"""

"""Development tooling: never deployed, never imported by the product.

- ``emulator``: the local AWS (moto server plus what moto lacks) the demo, tests and benchmarks run on;
- ``bench``: the benchmarks behind docs/performance.md (``make bench``, ``make load``);
- ``fakes`` and ``answers``: in-memory data-access fakes and recorded SageMaker answers, for unit
  tests and the CPU benchmark;
- ``schema_page``: writes docs/schema.md from the record schema (``make docs``).
"""

"""Development tools of crm-consolidation, kept out of the runtime package: the sample company generator
(``devkit.generator``), the benchmarks (``devkit.bench``, ``make bench``) and scoring against a known truth
(``devkit.scoring``).

It lives in the repository, not in the wheel: the editable install of ``make setup`` makes it importable.
It may import ``transforms``; ``transforms`` never imports it (a lint rule and a test hold that), so the nightly
run cannot come to depend on a tool its users do not have.
"""

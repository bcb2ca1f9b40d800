"""The ports: what the services need from storage and messaging, as ``typing.Protocol``s.

One module per port. Each has two implementations that must behave the same: the AWS adapter
in ``chalicelib/adapters/`` (boto3) and the in-memory fake in ``tests/fakes/``; the contract
tests in ``tests/contracts/`` run the same assertions against both. To add a method:

1. declare it here, with its one-line docstring (what it promises, in domain terms);
2. implement it in the adapter (conditions, expressions and encodings stay there);
3. implement it in the fake (plain Python, same refusals);
4. add its contract test (``tests/contracts/test_<port>.py``): it runs on both.

mypy checks both implementations against the Protocol where they are wired
(``services/ports.build_ports``, ``tests/fakes.fake_ports``).
"""

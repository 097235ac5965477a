"""The job data stream's gRPC interface (contract section 16), shared by the sandbox and the suite.

``pandadatastream.proto`` is written from the facts of the contract; the ``*_pb2*.py`` stubs next to
it are generated from it and committed, so the sandbox's job pods and the suite's client import the
same code without depending on each other. Regenerate after editing the .proto with::

    .venv/bin/python -m focus_datastream.generate

(a test fails while the committed stubs differ from what the pinned grpcio-tools generates).
"""

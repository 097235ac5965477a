"""Regenerate the committed gRPC stubs from pandadatastream.proto with the pinned grpcio-tools.

    python -m focus_datastream.generate            # rewrite the stubs in place
    python -m focus_datastream.generate --out DIR  # write them under DIR/focus_datastream (for comparing)
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
PROTO = "focus_datastream/pandadatastream.proto"
STUBS = ("pandadatastream_pb2.py", "pandadatastream_pb2_grpc.py")


def generate(out_root: Path) -> list[Path]:
    """Run protoc (from the repository root, so the stubs import each other as focus_datastream.*)."""
    with tempfile.TemporaryDirectory() as tmp:
        include = str(Path(protoc.__file__).resolve().parent / "_proto")
        code = protoc.main(["grpc_tools.protoc", f"-I{ROOT}", f"-I{include}", f"--python_out={tmp}",
                            f"--grpc_python_out={tmp}", str(ROOT / PROTO)])
        if code != 0:
            raise RuntimeError(f"protoc failed with exit code {code} for {PROTO}")
        target = out_root / "focus_datastream"
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for name in STUBS:
            shutil.copyfile(Path(tmp) / "focus_datastream" / name, target / name)
            written.append(target / name)
        return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT, help="root to write focus_datastream/ under")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

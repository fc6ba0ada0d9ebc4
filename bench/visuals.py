#!/usr/bin/env python3
"""Time and peak memory of the ``waterfall`` process on SigMF recordings of 100 MB and 1 GB. A benchmark:
it prints figures, asserts none.

What it measures
    For each size a ``cf32_le`` recording (8 bytes a sample; 1 GB is 134 M samples, 67 s at 2 MS/s) of
    a tone at +250 kHz plus noise is written in 8 MB chunks to ``--keep-data DIR`` (reused when
    there) or a temporary directory, with its ``.sigmf-meta``. The waterfall then runs in a fresh
    subprocess as a worker runs it: the process function with a ``JobContext`` (FFT 1024, hann, overlap
    0.5: for 1 GB, 262 143 frames averaged into 256 slices). Per size: wall and CPU seconds of the job
    (after imports), the seconds of each step, and the PEAK RSS of the subprocess sampled every 20 ms
    with psutil, beside the RSS right after the imports (numpy, scipy, matplotlib, sigmf), so what the
    job itself adds shows. The goal: memory flat in the file's size (the samples are read in blocks,
    never mapped or loaded whole). The peak found in the JSON is printed too, as a check that the
    figures are of a job that worked.

    .venv/bin/python bench/visuals.py                         # 100 MB and 1 GB
    .venv/bin/python bench/visuals.py --sizes 100 1000 4000 --keep-data /tmp/jsm-visuals

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import numpy as np
import psutil

RATE = 2_000_000.0
TONE = 250_000.0
CHUNK_SAMPLES = 1 << 20


def write_recording(folder: pathlib.Path, megabytes: int) -> pathlib.Path:
    """``folder/tone-<MB>.sigmf-meta`` and ``-data``; the data written once, then reused."""
    meta = folder / f"tone-{megabytes}.sigmf-meta"
    data = meta.with_suffix(".sigmf-data")
    samples = megabytes * 1_000_000 // 8
    if data.exists() and data.stat().st_size == samples * 8:
        return meta
    rng = np.random.default_rng(1)
    with data.open("wb") as sink:
        for start in range(0, samples, CHUNK_SAMPLES):
            n = min(CHUNK_SAMPLES, samples - start)
            t = (start + np.arange(n)) / RATE
            noise = rng.standard_normal(2 * n).astype(np.float32) * 0.01
            values = np.empty(2 * n, dtype="<f4")
            values[0::2] = 0.5 * np.cos(2 * np.pi * TONE * t) + noise[:n]
            values[1::2] = 0.5 * np.sin(2 * np.pi * TONE * t) + noise[n:]
            sink.write(values.tobytes())
    meta.write_text(json.dumps({"global": {"core:datatype": "cf32_le", "core:sample_rate": RATE,
                                           "core:version": "1.2.0"},
                                "captures": [{"core:sample_start": 0, "core:frequency": 100e6}],
                                "annotations": []}))
    return meta


CHILD = r"""
import datetime as dt, json, logging, pathlib, resource, sys, time
import psutil
from jobsmith.processes import context
from jobsmith.processes.visuals import signal_parameters, waterfall
import numpy, scipy.fft, scipy.signal, matplotlib.figure, matplotlib.backends.backend_agg, sigmf.sigmffile, duckdb

class Steps:
    def __init__(self): self.at = {}
    def step(self, position, name, state, at, message):
        self.at.setdefault(name, {})[state.value] = time.monotonic()
    def progress(self, fraction): pass

meta, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
(root / "out").mkdir(parents=True, exist_ok=True)
after_imports = psutil.Process().memory_info().rss
print(json.dumps({"ready": after_imports}), flush=True)
sys.stdin.readline()
steps = Steps()
ctx = context.JobContext(job_id="bench", inputs={"recording": [meta, meta.with_suffix(".sigmf-data")]},
                         parameters=signal_parameters.WaterfallParameters(), metadata={}, output_dir=root / "out",
                         logger=logging.getLogger("bench"), reporter=steps, cancelled=lambda: False,
                         work_dir=root / "work")
cpu0, t0 = time.process_time(), time.monotonic()
waterfall.waterfall(ctx)
wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
document = json.loads((root / "out" / "waterfall.json").read_text())
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "after_imports": after_imports,
                  "steps_s": {k: v.get("success", 0) - v.get("running", 0) for k, v in steps.at.items()},
                  "peak_frequency_hz": document["peak_frequency_hz"], "slices": len(document["times_s"]),
                  "frames": document["frames"], "json_bytes": (root / "out" / "waterfall.json").stat().st_size,
                  "maxrss_kernel": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}), flush=True)
"""


def measure(meta: pathlib.Path, work: pathlib.Path, sample_s: float) -> dict[str, Any]:
    """Run the waterfall in a fresh interpreter, sampling its RSS until it exits."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(meta), str(work)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    json.loads(child.stdout.readline())  # imports done
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        process = psutil.Process(child.pid)
        while not done.is_set():
            try:
                peak[0] = max(peak[0], process.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(sample_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    child.stdin.write("go\n")
    child.stdin.flush()
    figures: dict[str, Any] = json.loads(child.stdout.readline())
    done.set()
    child.wait()
    sampler.join()
    figures["peak_rss"] = peak[0]
    return figures


def mib(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="recording sizes in MB")
    parser.add_argument("--keep-data", type=pathlib.Path, help="write (and reuse) the recordings here")
    parser.add_argument("--sample-ms", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jsm-visuals-") as scratch:
        folder = args.keep_data or pathlib.Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {"load_average": os.getloadavg(), "runs": {}}
        for size in args.sizes:
            meta = write_recording(folder, size)
            figures = measure(meta, pathlib.Path(scratch) / f"run-{size}", args.sample_ms / 1000)
            report["runs"][size] = figures
            print(f"{size:>6} MB  wall {figures['wall_s']:6.1f} s  cpu {figures['cpu_s']:6.1f} s  "
                  f"({size / figures['wall_s']:5.0f} MB/s)  peak RSS {mib(figures['peak_rss'])} "
                  f"(after imports {mib(figures['after_imports'])}, job adds "
                  f"{mib(figures['peak_rss'] - figures['after_imports'])})  steps "
                  f"{ {k: round(v, 2) for k, v in figures['steps_s'].items()} }  "
                  f"peak {figures['peak_frequency_hz'] / 1e6:.4f} MHz, {figures['slices']} slices of "
                  f"{figures['frames']} frames, JSON {figures['json_bytes'] / 1e6:.1f} MB", flush=True)
        print(json.dumps(report))


if __name__ == "__main__":
    main()

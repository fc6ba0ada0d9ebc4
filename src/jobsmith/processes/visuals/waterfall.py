"""``waterfall``: power spectra of an RF recording as slices over time, under the mean spectrum."""

from __future__ import annotations

from jobsmith.processes import context, registry
from jobsmith.processes.visuals import signal_parameters, spectrogram


@registry.process("waterfall", title="Waterfall of an RF recording", version="1.0.0",
                  inputs=[spectrogram.RECORDING], parameters=signal_parameters.WaterfallParameters,
                  outputs=["waterfall.png", "waterfall.json"])
def waterfall(ctx: context.JobContext) -> None:
    """Slices of time × frequency × dB with the mean spectrum above them. The recording is read in
    blocks, so its size is bounded by the disk, not memory; slices average consecutive frames so the
    picture and the JSON stay bounded too."""
    from jobsmith.processes.visuals import signal_job

    signal_job.run(ctx, "waterfall")

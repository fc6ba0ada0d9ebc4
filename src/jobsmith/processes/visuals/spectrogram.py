"""``spectrogram``: power over time and frequency of an RF recording (SigMF, or a CSV of I/Q columns)."""

from __future__ import annotations

from jobsmith.processes import context, registry
from jobsmith.processes.visuals import signal_parameters

RECORDING = registry.FileInput(
    "recording", "A SigMF recording: its .sigmf-meta and .sigmf-data files (then queue the job), or one "
                 ".sigmf archive; or one CSV of I/Q columns with the parameter sample_rate.",
    required=True, multiple=True)


@registry.process("spectrogram", title="Spectrogram of an RF recording", version="1.0.0", inputs=[RECORDING],
                  parameters=signal_parameters.SpectrogramParameters,
                  outputs=["spectrogram.png", "spectrogram.json"])
def spectrogram(ctx: context.JobContext) -> None:
    """Power (dBFS) over time and frequency, honouring the recording's datatype, sample rate and centre
    frequency; the JSON holds the axes, the power of every slice and bin, the mean spectrum and its peak."""
    from jobsmith.processes.visuals import signal_job

    signal_job.run(ctx, "spectrogram")

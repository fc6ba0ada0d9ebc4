"""The run of ``spectrogram`` and ``waterfall``: open the recording, compute the spectra, draw, write JSON.

Both share every step; they differ in the picture and in how many slices they keep by default.
"""

from __future__ import annotations

from typing import Any, Literal

from jobsmith.processes import context
from jobsmith.processes.visuals import outputs, recording, signal_parameters, signal_plots, sources, spectra

Kind = Literal["spectrogram", "waterfall"]
READ_SHARE = 0.9
"""The share of the progress bar the spectra take; drawing and writing are the rest."""


def run(ctx: context.JobContext, kind: Kind) -> None:
    params = ctx.parameters
    if not isinstance(params, signal_parameters.SignalParameters):
        raise TypeError(f"{kind} expects SignalParameters, got {type(params).__name__}")
    with ctx.step("read recording") as step:
        rec = sources.open_recording(ctx.inputs.get("recording", []), ctx.work_dir, params)
        step.message = (f"{rec.name}: {rec.samples} {rec.datatype} samples at "
                        f"{outputs.hertz(rec.sample_rate).replace('Hz', 'S/s')}")
        for note in rec.notes:
            step.warn(f"{step.message}; {note}")
    settings = spectra.Settings(fft_size=params.fft_size, window=params.window, overlap=params.overlap,
                                max_slices=params.max_slices)
    with ctx.step("spectra") as step:
        result = spectra.compute(rec, settings, _ticker(ctx))
        step.message = (f"{result.frames} frames in {len(result.times_s)} slices; peak at "
                        f"{outputs.hertz(result.peak_frequency_hz)}")
    with ctx.step("draw"):
        limits = signal_plots.db_range(result.power_db, params.db_min, params.db_max)
        draw = signal_plots.spectrogram if kind == "spectrogram" else signal_plots.waterfall
        draw(rec, settings, result, params.colormap, limits, ctx.output_dir / f"{kind}.png")
        outputs.write_json(document(kind, rec, settings, result, limits), ctx.output_dir / f"{kind}.json")
    ctx.progress(1.0)


def _ticker(ctx: context.JobContext) -> spectra.Tick:
    def tick(fraction: float) -> None:
        ctx.check_cancelled()
        ctx.progress(READ_SHARE * fraction)

    return tick


def document(kind: Kind, rec: recording.Recording, settings: spectra.Settings, result: spectra.Spectra,
             limits: tuple[float, float]) -> dict[str, Any]:
    """The numbers behind the picture: axes, power per slice and bin, mean spectrum, peak."""
    peak_bin = int(result.mean_db.argmax())
    return {
        "process": kind,
        "recording": {"name": rec.name, "datatype": rec.datatype, "sample_rate_hz": rec.sample_rate,
                      "center_frequency_hz": rec.center_frequency, "samples": rec.samples,
                      "duration_s": rec.duration_s},
        "fft_size": settings.fft_size, "window": settings.window, "overlap": settings.overlap,
        "hop": settings.hop, "frames": result.frames, "frames_per_slice": result.frames_per_slice,
        "power_unit": "dBFS", "db_range": list(limits),
        "peak_frequency_hz": result.peak_frequency_hz,
        "peak_power_db": round(float(result.mean_db[peak_bin]), 2),
        "frequencies_hz": result.frequencies_hz.tolist(),
        "times_s": outputs.rounded(result.times_s, 9),
        "mean_power_db": outputs.rounded(result.mean_db, 2),
        "power_db": outputs.rounded(result.power_db, 2),
    }

"""Long runs survive faults: results files are written atomically and refuse damaged input, `--out` is checked
before training, and a run stopped at any step (Ctrl-C, SIGKILL) resumes to arrays identical to an
uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from gradfail.checkpoint import CheckpointSession, load_checkpoint, source_digests
from gradfail.cli import main
from gradfail.conditioning.settings import ConditioningSettings
from gradfail.epilogue.intermediate import IntermediateSettings
from gradfail.epilogue.sparse import SparseParitySettings
from gradfail.files import atomic_write, require_writable_folder
from gradfail.flat.settings import FlatSettings
from gradfail.lines.settings import LineSettings
from gradfail.parity.scaling import ParityScalingSettings
from gradfail.parity.settings import ParitySettings
from gradfail.periodic.settings import PeriodicSettings
from gradfail.results import Results
from gradfail.seeding import generator
from gradfail.stocks.settings import StocksSettings
from gradfail.streams import BlockBatches

# Small settings of every experiment (end-to-end's also for the subprocesses below).
LINES = {
    "ks": (1, 2),
    "batch_size": 8,
    "end_to_end_iterations": 60,
    "decomposition_iterations": 30,
    "eval_every": 10,
    "test_tuples": 40,
}
SMALL = {
    "parity": ParitySettings(dims=(3, 4), replicates=2, iterations=60, eval_every=20, eval_samples=64, batch_size=32),
    "parity-scaling": ParityScalingSettings(  # the stops at steps 7 and 23 fall in a variant and in the scan
        dim=6,
        width_factor=2,
        wider_factor=4,
        deeper_layers=2,
        iterations=10,
        known_iterations=10,
        batch_size=16,
        eval_every=5,
        eval_samples=64,
        scan_dims=(4, 6),
        scan_replicates=2,
        scan_max_steps=40,
    ),
    "periodic": PeriodicSettings(
        radius_dims=(6,),
        radii=(1.0, 2.0),
        dimension_radii=(1.0,),
        dims=(4, 8),
        tied_dims=(2, 4, 8),
        monte_carlo_radii=(1.0,),
        monte_carlo_directions=2,
        monte_carlo_samples=1024,
        train_dims=(1, 3),
        replicates=2,
        train_width=16,
        iterations=30,
        batch_size=32,
        eval_every=7,
        test_samples=256,
    ),
    "end-to-end": LineSettings(**LINES),
    "stocks": StocksSettings(input_dim=12, stocks=(3, 5), replicates=2, iterations=40, batch_size=8, eval_every=20),
    "conditioning": ConditioningSettings(
        length=12,
        train_curves=200,
        validation_curves=20,
        snapshots=(10, 30),
        autoencoder_snapshots=(10, 20),
        eval_every=10,
        batch_size=8,
        conditioned_batch_size=4,
    ),
    "flat": FlatSettings(
        input_dim=10,
        batch_size=32,
        hidden=16,
        non_flat_iterations=20,
        end_to_end_iterations=20,
        multi_class_iterations=20,
        forward_only_iterations=20,
        eval_every=10,
        test_samples=200,
    ),
    "sparse-parity": SparseParitySettings(
        dims=(6, 8), sizes=(2,), replicates=1, width=16, iterations=60, eval_every=25, eval_samples=100, null_sets=10
    ),
    "intermediate": IntermediateSettings(lengths=(3, 5), replicates=1, state=8, hidden=8, iterations=60, eval_every=20),
}


def assert_same_arrays(first: Results, second: Results) -> None:
    assert sorted(first.arrays) == sorted(second.arrays)
    for name in first.arrays:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    atomic_write(target, lambda handle: handle.write(b"old"))

    def fail(handle) -> None:
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]  # no temporary left behind


def test_loading_a_damaged_or_foreign_file_names_it(tmp_path: Path) -> None:
    good = Results("x", {}, {"a": np.arange(3)}, {"seed": 0}).save(tmp_path / "good.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:100])
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, a=np.array([{"a": 1}], dtype=object), __meta__=np.array("{}"))
    single = tmp_path / "single.npz"
    with single.open("wb") as handle:
        np.save(handle, np.arange(3))
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not an archive at all")
    expected = {
        truncated: "damaged|not an .npz",
        foreign: "gradfail did not write it",
        pickled: "pickled objects",
        single: "single array",
        garbage: "not a gradfail results file|damaged",
    }
    for path, message in expected.items():
        with pytest.raises(ValueError, match=message) as error:
            Results.load(path)
        assert str(path) in str(error.value)
    assert Results.load(good)["a"].tolist() == [0, 1, 2]


def test_out_must_be_a_writable_folder(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(ValueError, match="--out must be a folder"):
        require_writable_folder("--out", a_file)
    with pytest.raises(ValueError, match="--out must be a writable folder"):
        require_writable_folder("--out", Path("/proc/nope"))
    assert require_writable_folder("--out", tmp_path / "new" / "deeper").is_dir()


@pytest.mark.parametrize("out", ["/proc/nope", "FILE"])
def test_a_bad_out_is_refused_before_any_training(
    out: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "FILE").write_text("")
    monkeypatch.setattr("gradfail.flat.experiment.train_online", lambda *a, **k: pytest.fail("trained"))
    started = time.perf_counter()
    assert main(["run", "flat", "--out", out if out.startswith("/") else str(tmp_path / out)]) == 2
    assert time.perf_counter() - started < 1.0
    assert capsys.readouterr().err.startswith("error: --out must be")
    assert main(["run", "all", "--out", "/proc/nope"]) == 2


def test_block_batches_continue_exactly_from_their_state() -> None:
    def stream() -> BlockBatches:
        rng = generator(3)
        return BlockBatches(lambda steps: (torch.randn(steps, 2, generator=rng),), 4, [rng])

    straight = [next(stream_a)[0] for stream_a in [stream()] for _ in range(10)]
    first = stream()
    for _ in range(6):
        next(first)
    second = stream()
    second.load_state_dict(first.state_dict())
    continued = [next(second)[0] for _ in range(4)]
    torch.testing.assert_close(torch.stack(continued), torch.stack(straight[6:]), rtol=0, atol=0)


def test_source_digests_follow_the_imports_of_an_experiment() -> None:
    digests = source_digests("gradfail.lines.experiment")
    assert {"gradfail.lines.networks", "gradfail.training", "gradfail.checkpoint"} <= set(digests)
    assert "gradfail.lines.plots" not in digests and "gradfail.cli" not in digests


def stop_after(monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    """Make the checkpointed run behave as if Ctrl-C came after `steps` training steps in this process."""
    real = CheckpointSession.after_step
    count = {"steps": 0}

    def after_step(self, phase, step, values) -> None:
        count["steps"] += 1
        if count["steps"] == steps:
            self.stop_requested = True
        real(self, phase, step, values)

    monkeypatch.setattr(CheckpointSession, "after_step", after_step)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_a_run_stopped_twice_resumes_to_identical_arrays(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: SMALL[name])
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["run", name, "--device", "cpu", "--out", str(straight)]) == 0
    args = ["run", name, "--device", "cpu", "--out", str(resumed), "--checkpoint-every", "0"]
    for stop in (7, 23):  # several phases for end-to-end, flat and conditioning: stops inside and across them
        with monkeypatch.context() as patch:
            stop_after(patch, stop)
            assert main(args) == 130
        assert f"resume with: python -m gradfail run {name}" in capsys.readouterr().err
        args = [*args, "--resume"] if "--resume" not in args else args
    assert main(args) == 0
    (result,) = straight.glob("*.npz")
    assert_same_arrays(Results.load(result), Results.load(resumed / result.name))
    assert Results.load(resumed / result.name).provenance["resumed"] == 2
    assert [p.suffix for p in resumed.iterdir()] == [".npz"]  # the checkpoint is gone once the results are saved


def test_resume_refuses_changed_settings_and_a_fresh_start_over_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: SMALL["stocks"])
    args = ["run", "stocks", "--device", "cpu", "--out", str(tmp_path), "--checkpoint-every", "0"]
    with monkeypatch.context() as patch:
        stop_after(patch, 5)
        assert main(args) == 130
    capsys.readouterr()
    assert main(args) == 2
    assert "add --resume to continue it" in capsys.readouterr().err
    assert main([*args, "--seed", "1", "--resume"]) == 2
    assert "seed was 0, is 1" in capsys.readouterr().err
    changed = StocksSettings(**{**vars(SMALL["stocks"]), "batch_size": 9})
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: changed)
    assert main([*args, "--resume"]) == 2
    assert "setting batch_size was 8, is 9" in capsys.readouterr().err


def test_resume_refuses_changed_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradfail.checkpoint import identity_differences, run_identity

    saved = run_identity("stocks", "gradfail.stocks.experiment", {"a": 1}, 0, "cpu")
    current = {**saved, "code": {**saved["code"], "gradfail.stocks.problem": "0" * 64}}
    assert identity_differences(saved, current) == ["code changed in gradfail.stocks.problem"]
    assert identity_differences(saved, saved) == []


DRIVER = """
import json, sys
import gradfail.cli as cli
from gradfail.lines.settings import LineSettings
settings = LineSettings(**json.loads(sys.argv[1]))
cli.settings_for = lambda cls, scale: settings
sys.exit(cli.main(sys.argv[2:]))
"""


def run_driver(*args: str, settings: dict | None = None) -> subprocess.Popen:
    """The command line in a subprocess, with end-to-end's settings `LINES` updated by `settings`."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GRADFAIL_PROGRESS": "0"}
    chosen = json.dumps({**LINES, **(settings or {})})
    return subprocess.Popen([sys.executable, "-c", DRIVER, chosen, *args], env=env, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("kills", [1, 2])
def test_a_killed_run_resumes_to_identical_arrays(kills: int, tmp_path: Path) -> None:
    """A real SIGKILL of the command line at a random moment after its first checkpoint, `kills` times."""
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    common = ["run", "end-to-end", "--device", "cpu"]
    assert run_driver(*common, "--out", str(straight)).wait(timeout=120) == 0
    args = [*common, "--out", str(resumed), "--checkpoint-every", "0", "--resume"]
    checkpoint = resumed / "end-to-end-custom.checkpoint.pt"
    delays = random.Random(kills)
    for _ in range(kills):
        process = run_driver(*args)
        deadline = time.monotonic() + 60
        while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delays.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL, process.stderr.read()
        assert checkpoint.exists()
    assert run_driver(*args).wait(timeout=120) == 0
    assert_same_arrays(
        Results.load(straight / "end-to-end-custom.npz"), Results.load(resumed / "end-to-end-custom.npz")
    )


def test_ctrl_c_saves_a_checkpoint_and_prints_the_resume_command(tmp_path: Path) -> None:
    endless = {"end_to_end_iterations": 10**6}
    args = ["run", "end-to-end", "--device", "cpu", "--out", str(tmp_path), "--checkpoint-every", "0"]
    process = run_driver(*args, settings=endless)
    checkpoint = tmp_path / "end-to-end-custom.checkpoint.pt"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "resume with: python -m gradfail run end-to-end" in err and err.rstrip().endswith("--resume")
    assert load_checkpoint(checkpoint)["current"]["step"] >= 1
    refused = run_driver(*args, "--resume")  # other settings than the checkpoint's
    assert refused.wait(timeout=60) == 2 and "setting end_to_end_iterations was 1000000" in refused.stderr.read()


def test_run_all_with_resume_keeps_results_finished_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: SMALL["stocks"])
    assert main(["run", "stocks", "--device", "cpu", "--out", str(tmp_path)]) == 0
    written = (tmp_path / "stocks-custom.npz").stat().st_mtime_ns
    others = [name for name in SMALL if name != "stocks"]
    assert main(["run", "all", "--device", "cpu", "--out", str(tmp_path), "--resume", "--skip", *others]) == 0
    assert "kept" in capsys.readouterr().out and (tmp_path / "stocks-custom.npz").stat().st_mtime_ns == written
    assert (
        main(["run", "all", "--device", "cpu", "--out", str(tmp_path), "--seed", "1", "--resume", "--skip", *others])
        == 0
    )
    assert (tmp_path / "stocks-custom.npz").stat().st_mtime_ns != written  # another seed: run again


def test_atomic_files_get_the_usual_permissions(tmp_path: Path) -> None:
    path = atomic_write(tmp_path / "file.bin", lambda handle: handle.write(b"x"))
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask

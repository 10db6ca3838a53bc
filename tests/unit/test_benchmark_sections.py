"""Benchmark results of one kind of CPU never replace another kind's section of RESULTS.md."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import results  # noqa: E402


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["amx_bf16", "avx512_bf16"], "train_speed"),  # the CPU issue #15's numbers come from
        (["avx512_bf16"], "train_speed_avx512_bf16"),  # AMD Zen 4
        ([], "train_speed_no_bf16"),
    ],
)
def test_each_kind_of_cpu_writes_its_own_section(monkeypatch, flags, expected):
    monkeypatch.setattr(results, "bfloat16_flags", lambda: flags)
    assert results.cpu_section("train_speed") == expected


def test_kernel_floor_reads_winograd_times_apart_from_the_direct_ones(monkeypatch):
    """The floor binds the direct kernels only: a Winograd mode's time (float32 or bfloat16) is shown beside it,
    never taken as "ours", and a target the floor puts out of reach but Winograd meets says so."""
    import kernel_floor

    rows = [{"size": 256, "batch_size": 1, "mode": mode, "iteration_s": s, "official": {"iteration_s": 12.0}}
            for mode, s in [("float32", 11.0), ("winograd", 7.0), ("winograd_1op", 7.5), ("bfloat16", 6.0),
                            ("bfloat16_1thread", 6.2), ("bfloat16_winograd", 4.7),
                            ("bfloat16_winograd_1thread", 4.6)]]  # fmt: skip
    monkeypatch.setattr(kernel_floor, "load_data", lambda name: {"rows": rows})
    measured = kernel_floor._measured_times(None)
    assert measured == {"256x1/official": 12.0, "256x1/float32": 11.0, "256x1/winograd": 7.0,
                        "256x1/bfloat16": 6.0, "256x1/bfloat16_winograd": 4.6}  # fmt: skip
    floor = {"size": 256, "batch": 1, "gmac": 1000.0, "floor_s": 5.5, "by_op_s": {}, "matmul_peak_gmacs": 190.0}
    table = kernel_floor.render([{**floor, "mode": "bfloat16"}, {**floor, "mode": "float32", "floor_s": 11.0}],
                                measured, "a machine", ["avx512_bf16"])  # fmt: skip
    bfloat16_row, float32_row = table.splitlines()[-2:]
    assert "| 6.00 | 1.09 | 4.60 |" in bfloat16_row  # ours (direct), ours / floor, winograd
    assert bfloat16_row.endswith("| **no** with direct kernels: floor above target; met with Winograd |")
    assert "| 11.00 | 1.00 | 7.00 |" in float32_row
    assert float32_row.endswith("| **no** with direct kernels: floor above target; met with Winograd |")


@pytest.mark.parametrize(
    ("flags", "full"), [(["amx_bf16", "avx512_bf16"], "train_speed"), (["avx512_bf16"], "train_speed_avx512_bf16")]
)
def test_a_repeated_train_speed_run_never_replaces_the_full_table(monkeypatch, flags, full):
    import train_speed
    import train_speed_tables

    monkeypatch.setattr(results, "bfloat16_flags", lambda: flags)
    assert train_speed.output_section(False) == (full, "")
    assert train_speed.output_section(True) == (full + "_repeat", full)
    row = {"size": 128, "batch_size": 4, "mode": "bfloat16", "iteration_s": 2.0, "iteration_min_s": 1.9,
           "peak_rss_gib": 2.0, "load_at_start": 1.0, "official": None}  # fmt: skip
    table = train_speed_tables.render([row], "m", 3, 2, True, full)
    assert f"a second run of some modes of the {full} section" in table


def test_a_run_with_onednn_held_below_amx_writes_its_own_section_and_is_judged_without_amx(monkeypatch):
    """``--onednn-max-cpu-isa AVX512_CORE_BF16`` times an AMX Xeon as a CPU without AMX: its rows go to a section of
    their own (never the AMX rounds) and bfloat16 is held to the 2.5× target of CPUs without AMX."""
    import train_speed

    for module in (results, train_speed):
        monkeypatch.setattr(module, "bfloat16_flags", lambda: ["amx_bf16", "avx512_bf16"])
    section = "train_speed_isa_avx512_core_bf16_rounds"
    assert train_speed.output_section(False, 3, "AVX512_CORE_BF16") == (section, "")
    assert not train_speed.judged_with_amx("AVX512_CORE_BF16")
    assert train_speed.judged_with_amx(None) and train_speed.judged_with_amx("avx512_core_amx")
    monkeypatch.setattr(train_speed, "bfloat16_flags", lambda: ["avx512_bf16"])
    assert not train_speed.judged_with_amx(None)


def _round_row(mode: str, ours_s: float, official_s: float, ours_rss: float = 1.6, official_rss: float = 1.7) -> dict:
    official = {"iteration_s": official_s, "iteration_min_s": official_s, "peak_rss_gib": official_rss}
    return {"size": 128, "batch_size": 1, "mode": mode, "iteration_s": ours_s, "iteration_min_s": ours_s,
            "peak_rss_gib": ours_rss, "load_at_start": 1.0, "official": official}  # fmt: skip


def test_rounds_are_judged_by_the_median_of_their_own_ratios(monkeypatch):
    """Each round times the official code next to ours; a mode's verdict is the median of those rounds' ratios, and
    the table says in how many rounds it met the target, so that one slow minute cannot decide it."""
    import train_speed
    import train_speed_tables

    monkeypatch.setattr(results, "bfloat16_flags", lambda: ["amx_bf16", "avx512_bf16"])
    assert train_speed.output_section(False, rounds=3) == ("train_speed_rounds", "")
    rows = [_round_row("winograd_1op", 2.0, 2.2), _round_row("winograd_1op", 2.0, 2.6, ours_rss=1.75),
            _round_row("winograd_1op", 2.5, 3.5), _round_row("bfloat16", 1.0, 2.2), _round_row("bfloat16", 1.0, 2.6),
            _round_row("bfloat16", 1.0, 3.5)]  # fmt: skip
    table = train_speed_tables.render_rounds(rows, "m", 3, 2, amx=True)
    winograd, bfloat16 = table.splitlines()[-2:]
    # ratios 1.10, 1.30, 1.40: median 1.30 >= 1.2, met in 2 of 3 rounds; RSS over the official's in 1 of 3
    assert winograd.startswith("| 128² | 1 | winograd_1op | 3 | 2.00 | 2.60 | 1.10, 1.30, 1.40 | 1.30x |")
    assert "| met (≥ 1.2×) in 2 of 3 rounds |" in winograd
    assert winograd.endswith("| 1.75 | 1.70 | **missed** in 1 of 3 rounds | unknown |")
    # ratios 2.20, 2.60, 3.50: median 2.60 < 3
    assert "| 2.20, 2.60, 3.50 | 2.60x | **missed** (≥ 3.0×) in 2 of 3 rounds |" in bfloat16
    assert bfloat16.endswith("| met | unknown |")


def test_profile_groups_winograd_ops_only_where_the_iteration_has_them():
    import train_profile

    assert train_profile.op_category("_MklBatchMatMulV2", winograd=True).startswith("Winograd")
    assert train_profile.op_category("_MklMatMul", winograd=True).startswith("Winograd: transforms")
    assert train_profile.op_category("_MklMatMul").startswith("everything else")  # a direct iteration's matmul
    assert train_profile.op_category("_MklNativeConv2DBackpropFilterWithBias", winograd=True).startswith(
        "convolution backward (filter)"
    )
    assert train_profile.op_category("ResourceApplyAdam").startswith("optimizer")


@pytest.mark.parametrize(
    ("cpuinfo", "expected"),
    [
        # Two Xeons with AMX, both named only "Intel(R) Xeon(R) Processor", ran at different speeds.
        ("cpu family\t: 6\nmodel\t\t: 207\nmodel name\t: Intel(R) Xeon(R) Processor\n",
         "Intel(R) Xeon(R) Processor (family 6, model 207)"),
        ("model name\t: AMD EPYC\ncpu family\t: 25\nmodel\t\t: 17\n", "AMD EPYC (family 25, model 17)"),
        ("model name\t: Some CPU\n", "Some CPU"),
    ],
)
def test_the_cpu_is_told_apart_by_family_and_model(tmp_path, monkeypatch, cpuinfo, expected):
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    monkeypatch.setattr(results, "CPUINFO", tmp_path / "cpuinfo")
    assert results.cpu_model() == expected


def test_merged_rounds_keep_the_other_configurations_of_the_same_kind_of_machine_and_say_when():
    import train_speed
    import train_speed_tables

    machine = "Xeon (amx_bf16), 2 usable cores, Python 3.11.7; 2026-12-06 {} UTC; load average at start 1.0"
    rows = [_round_row("bfloat16", 1.0, 3.2), {**_round_row("bfloat16", 2.0, 8.0), "size": 256}]
    earlier = {"machine": machine.format("06:53"), "rows": rows}
    kept = train_speed.kept_rounds(earlier, machine.format("08:00"), timed={(128, 1)})
    assert [(r["size"], r["measured"]) for r in kept] == [(256, "2026-12-06 06:53 UTC")]
    assert train_speed.kept_rounds(earlier, "EPYC (avx512_bf16)" + machine[machine.index(","):], set()) is None
    assert train_speed.kept_rounds(None, machine, set()) == []
    new = {**_round_row("bfloat16", 0.9, 3.2), "measured": train_speed.measured_at(machine.format("08:00"))}
    lines = train_speed_tables.render_rounds(kept + [new], "m", 3, 2, amx=True).splitlines()
    assert lines[-2].startswith("| 128² | 1 | bfloat16 |") and lines[-2].endswith("| 2026-12-06 08:00 UTC |")
    assert lines[-1].startswith("| 256² | 1 | bfloat16 |") and lines[-1].endswith("| 2026-12-06 06:53 UTC |")


@pytest.mark.parametrize("mode", ["float32", "bfloat16"])
def test_kernel_floor_reads_every_convolution_of_the_train_speed_modes_iteration(mode):
    """kernel_floor.py times the convolutions of the iteration train_speed times: the official preset in that mode,
    558 kernel calls (forward, input and filter gradients of both generators' 6 calls and the discriminators')."""
    from iteration_kernels import iteration_kernels

    kernels = iteration_kernels(32, 1, mode)
    assert sum(kernel["count"] for kernel in kernels) == 558
    assert {kernel["dtype"] for kernel in kernels} == {mode}
    assert {kernel["op"] for kernel in kernels} == {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"}


@pytest.mark.parametrize(
    ("machine", "judged_with_amx", "target"),
    [
        ("Xeon (amx_bf16, avx512_bf16), 2 usable cores", True, "3.0"),
        ("Xeon (amx_bf16, avx512_bf16), 2 usable cores; oneDNN held to AVX512_CORE_BF16", False, "2.5"),
        ("EPYC (avx512_bf16), 2 usable cores", False, "2.5"),
    ],
)
def test_a_saved_section_is_written_again_with_the_tables_words_and_its_runs_target(machine, judged_with_amx, target):
    """``train_speed.py --render SECTION``: the words of the tables change (the default convolutions did), the
    numbers are the saved ones, judged by the target the run that measured them was judged by (saved with them),
    not by this machine's."""
    import train_speed

    rows = [_round_row("bfloat16", 1.0, 2.8), _round_row("bfloat16", 1.0, 2.8)]
    saved = train_speed.saved_section(machine, judged_with_amx, rows)
    table = train_speed.render_saved("train_speed_rounds", saved, 3, 2)
    assert f"Machine: {machine}." in table and "the default `--conv-algorithm auto`" in table
    assert f"(≥ {target}×) in 2 of 2 rounds" in table
    full = train_speed.render_saved("train_speed_repeat", {**saved, "rows": rows[:1]}, 3, 2)
    assert "a second run of some modes of the train_speed section" in full


def test_every_saved_train_speed_section_says_which_target_judged_it():
    import json

    from results import RESULTS_JSON

    saved = json.loads(RESULTS_JSON.read_text())
    sections = {name: data for name, data in saved.items() if name.startswith("train_speed")}
    assert sections and all(isinstance(data.get("judged_with_amx"), bool) for data in sections.values())
    held = sections["train_speed_isa_avx512_core_bf16_rounds"]
    assert sections["train_speed_rounds"]["judged_with_amx"] and not held["judged_with_amx"]
    assert not sections["train_speed_avx512_bf16"]["judged_with_amx"]  # the EPYC

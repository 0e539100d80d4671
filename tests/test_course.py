"""The split-computing course (nbs/course/), one source and two builds (scripts/course.py): the source is well formed, the
student set holds no solution and runs to the end as handed out (checks answer "not answered yet"), the instructor set
runs top to bottom with its solutions (papermill) and every solution's check says right. The exercise checks
themselves (`bottlefit.exercises`) are tested in nbs/27_exercises.ipynb. Lessons that need real data skip, with the reason, when
BOTTLEFIT_DATA lacks it."""
import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "nbs" / "course"
NOTEBOOKS = sorted(COURSE.glob("[0-9]*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
import course  # noqa: E402  (scripts/course.py: the builds)
REBUILD = "run `python scripts/course.py build --out course` and commit course/"

# What each lesson reads besides the committed results: "imagenette" (BOTTLEFIT_DATA/imagenette2-224 or another copy)
# or "traces" (BOTTLEFIT_DATA/traces). A new lesson must say what it needs here.
NEEDS = {"00_start_here": {"imagenette"}, "01_bottlenecks_and_losses": {"imagenette"}, "02_the_wire": {"imagenette"},
         "03_latency_and_energy": {"traces"}, "04_split_run": {"imagenette"}, "05_explorer": {"traces"},
         "06_two_stages_vs_hnd": {"imagenette"}, "07_rate_and_distortion": {"imagenette"}}
# Parameters the suite gives: the lessons that train live train less than a student does (a few minutes at most on 2
# busy cores; one thread, as two threads fight a busy machine's other work). The instructor page lists both budgets.
# Sequences as lists: papermill writes a tuple parameter as a string.
PARAMETERS = {"01_bottlenecks_and_losses": dict(TRAIN_IMAGES=160, VAL_IMAGES=100, TEACHER_EPOCHS=1, EPOCHS=1),
              "06_two_stages_vs_hnd": dict(TRAIN_IMAGES=320, VAL_IMAGES=100, EPOCHS=1, SEEDS=[0], THREADS=1),
              "07_rate_and_distortion": dict(BETAS=[1.0, 10.0], STEPS=60, FIT_IMAGES=100, TEST_IMAGES=100, THREADS=1)}


def _missing(needs: set) -> str | None:
    from bottlefit.core import data_root
    from bottlefit.data import find_imagenette
    if "imagenette" in needs and find_imagenette() is None:
        return f"no Imagenette under {data_root()} (set BOTTLEFIT_DATA to the folder holding imagenette2-224/)"
    if "traces" in needs and not (data_root() / "traces").is_dir():
        return f"no network traces under {data_root()} (set BOTTLEFIT_DATA to the folder holding traces/)"
    return None


def _outputs(cell) -> str:
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) + o.get("evalue", "")
                   for o in cell.get("outputs", []))


def test_every_lesson_is_listed():
    assert len(NOTEBOOKS) >= 8, NOTEBOOKS
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(NEEDS), "declare each course notebook's data needs in NEEDS"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_shape(nb):
    """Each source lesson: well formed for the builds (solution cells tagged and marked, each saying what the student does
    instead, nothing read later from a solution, its links line and setup cell as `course.py sync` writes them), a time
    estimate, goals and checked exercises, a questionnaire with answers only in solutions, further research."""
    cells = course.load(nb)["cells"]
    assert course.problems(course.load(nb), nb.stem, course.settings()) == []
    text = "\n".join(course.src(c) for c in cells if c["cell_type"] == "markdown" and not course.is_solution(c))
    assert "**Time:**" in text, f"{nb.name}: say how long the lesson takes"
    q = text.split("## Questionnaire", 1)[1].split("##", 1)[0]
    assert 5 <= sum(line[:3].strip().rstrip(".").isdigit() for line in q.splitlines()) <= 8, f"{nb.name}: 5-8 questions"
    research = text.split("## Further research", 1)[1]
    assert 2 <= sum(line.startswith("- ") for line in research.splitlines()) <= 4, f"{nb.name}: 2-4 research prompts"
    after = [c for c in cells[next(i for i, c in enumerate(cells) if "## Questionnaire" in course.src(c)):]]
    assert any(course.is_solution(c) and c["cell_type"] == "markdown" for c in after), f"{nb.name}: the questionnaire's answers"
    if nb.stem != "00_start_here":
        assert "**Learning goals**" in text and "check_" in "\n".join(course.src(c) for c in cells), f"{nb.name}: goals and checked exercises"
    params = [c for c in cells if "parameters" in course.tags(c)]
    assert len(params) <= 1 and not any("SOLUTIONS" in course.src(c) for c in cells), nb.name
    assert set(PARAMETERS.get(nb.stem, {})) <= {l.split("=")[0].strip() for c in params for l in course.src(c).splitlines() if "=" in l}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "The two sets, built once from the source (badges pointing at the default publishing folder)."
    out = tmp_path_factory.mktemp("course")
    return out, course.build(out)


def test_builds_have_every_lesson(built):
    out, written = built
    names = [p.name for p in NOTEBOOKS]
    assert [p.name for p in written["student"]] == names and [p.name for p in written["instructor"]] == names
    assert sorted(p.name for p in (out / "student").iterdir()) == sorted(names)          # the checks are bottlefit.exercises
    assert sorted(p.name for p in (out / "instructor").iterdir()) == sorted(names + ["instructor.md"])
    s = course.settings()
    for kind in ("student", "instructor"):
        for p in written[kind]:
            nb = json.loads(p.read_text(encoding="utf-8"))
            first = course.src(nb["cells"][0])
            assert "colab-badge.svg" in first and f"blob/{s['branch']}/course/{kind}/{p.name}" in first, p
            setup = [c for c in nb["cells"] if "setup" in course.tags(c)]
            assert len(setup) == 1 and f'REPO = "{s["git_url"]}"' in course.src(setup[0]), p
            assert not any(c.get("outputs") for c in nb["cells"]), p


def test_published_sets_match_the_source(built):
    "The sets committed in course/ (where the Colab and Binder badges point) are the build of the current source."
    out, _ = built
    published = ROOT / course.DEFAULT_PUBLISH
    for kind in ("student", "instructor"):
        made = sorted(p.name for p in (out / kind).iterdir())
        assert sorted(p.name for p in (published / kind).iterdir()) == made, f"course/{kind} differs: {REBUILD}"
        for name in made:
            assert (published / kind / name).read_bytes() == (out / kind / name).read_bytes(), f"course/{kind}/{name} is stale: {REBUILD}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_set_has_no_solutions(nb, built):
    "The student's lesson: no solution's code or answer anywhere in its JSON, each solution an exercise cell of comments."
    out, _ = built
    raw = (out / "student" / nb.name).read_text(encoding="utf-8")
    student = json.loads(raw)
    text = "\n".join(course.src(c) for c in student["cells"])
    source = course.load(nb)
    secrets = course.solution_texts(source)
    assert secrets, nb.name
    for s in secrets:
        assert s not in text and s not in course._squeeze(text) and json.dumps(s, ensure_ascii=False)[1:-1] not in raw, (nb.name, s)
    assert "test suite" not in raw.lower() and "SOLUTIONS" not in raw and "solution" not in json.dumps([course.tags(c) for c in student["cells"]])
    exercises = [c for c in student["cells"] if "exercise" in course.tags(c)]
    n_code = sum(course.is_solution(c) and c["cell_type"] == "code" for c in source["cells"])
    assert len(exercises) == n_code and all(l.startswith("#") for c in exercises for l in course.src(c).splitlines()), nb.name
    assert all("Instructor" not in course.src(c) for c in student["cells"][:1])
    instructor = json.loads((out / "instructor" / nb.name).read_text(encoding="utf-8"))
    itext = "\n".join(course.src(c) for c in instructor["cells"])
    assert all(s in itext or s in course._squeeze(itext) for s in secrets) and course.MARKER not in itext, nb.name


def test_setup_cell_does_nothing_where_the_library_imports(monkeypatch):
    "The setup cell runs nothing (no clone, no pip) when bottlefit imports, so the lessons run offline here."
    import subprocess
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    path = list(sys.path)
    exec(course.setup_source(course.settings()), {})
    assert calls == [] and sys.path == path


def test_build_refuses_a_bad_source(tmp_path):
    """A solution without its marker or without the student's instructions, a later cell reading a solution's name, and
    solution text in the lesson's own cells are refused, with what to do."""
    import shutil
    s = course.settings()
    good = course.load(COURSE / "03_latency_and_energy.ipynb")
    def attempt(nb):
        d = tmp_path / "src"
        if d.exists(): shutil.rmtree(d)
        d.mkdir()
        (d / "03_latency_and_energy.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        with pytest.raises(course.CourseError) as e: course.build(tmp_path / "out", folder=d, s=s)
        return str(e.value)
    sol = next(i for i, c in enumerate(good["cells"]) if course.is_solution(c) and c["cell_type"] == "code")
    nb = json.loads(json.dumps(good)); nb["cells"][sol]["source"] = course.src(nb["cells"][sol]).replace(course.MARKER + "\n", "")
    assert "starts with `#| solution`" in attempt(nb)
    nb = json.loads(json.dumps(good)); nb["cells"][sol]["source"] = "\n".join(l for l in course.src(nb["cells"][sol]).splitlines() if not l.startswith(course.STUDENT))
    assert "saying what the student does instead" in attempt(nb)
    nb = json.loads(json.dumps(good)); nb["cells"].append(course._new_cell("code", "print(answer_1)", "late"))
    assert "reads ['answer_1'], set by solution cell" in attempt(nb)
    nb = json.loads(json.dumps(good)); line = course.solution_texts(good)[0]
    nb["cells"].append(course._new_cell("markdown", f"Spoiler: `{line}`", "leak"))
    assert "solution text left in the student's copy" in attempt(nb)


def test_course_script_commands(tmp_path):
    import subprocess
    script = ROOT / "scripts" / "course.py"
    r = subprocess.run([sys.executable, str(script), "check"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "well formed" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, str(script), "build", "--out", str(tmp_path), "--publish-at", "docs/course"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and f"student: {len(NOTEBOOKS)} lessons" in r.stdout, r.stdout + r.stderr
    assert "blob/main/docs/course/student/00_start_here.ipynb" in (tmp_path / "student" / "00_start_here.ipynb").read_text()


def _run(nb_path, out, params, cwd):
    import papermill as pm
    from bottlefit.figures import run_notebook       # papermill with the kernel on private IPC sockets
    t0 = time.perf_counter()
    try:
        run_notebook(nb_path, out, params, cwd)
    except pm.PapermillExecutionError as e:
        pytest.fail(f"{nb_path.parent.name}/{nb_path.name} failed in cell {e.exec_count}: {e.ename}: {e.evalue}", pytrace=False)
    print(f"{nb_path.parent.name}/{nb_path.stem}: {time.perf_counter() - t0:.1f} s")
    return json.loads(Path(out).read_text(encoding="utf-8"))


def _run_set(kind: str, nb: Path, built, tmp_path) -> dict:
    "Lesson `nb` of the built `kind` set (student or instructor), run as it is in that set's folder; skips, saying why, without its data."
    why = _missing(NEEDS.get(nb.stem, set()))
    if why: pytest.skip(why)
    out, _ = built
    return _run(out / kind / nb.name, tmp_path / nb.name, PARAMETERS.get(nb.stem, {}), out / kind)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_instructor_lesson_runs_with_solutions(nb, built, tmp_path):
    "The instructor's lesson runs to the end (every solution's asserts hold), and each solution cell's checks say right."
    ran = _run_set("instructor", nb, built, tmp_path)
    sols = [c for c in ran["cells"] if "solution" in course.tags(c) and c["cell_type"] == "code"]
    assert sols and all("right!" in _outputs(c) for c in sols), [_outputs(c)[:300] for c in sols]


# Lessons that train networks run in the suite once, as the instructor's; their student copies differ only by solution
# cells replaced with comments, and `course.problems` checks that no later cell reads what a solution set.
QUICK = [nb for nb in NOTEBOOKS if nb.stem not in ("01_bottlenecks_and_losses", "06_two_stages_vs_hnd")]


@pytest.mark.parametrize("nb", QUICK, ids=lambda p: p.stem)
def test_student_lesson_runs_as_handed_out(nb, built, tmp_path):
    "The student's lesson, run as it is: to the end, every check saying 'not answered yet', none 'right'."
    ran = _run_set("student", nb, built, tmp_path)
    said = "\n".join(_outputs(c) for c in ran["cells"])
    assert "not answered yet" in said and "right!" not in said, said[-2000:]


def test_time_course_script():
    "scripts/time_course.py (the instructor page's run times): one lesson timed, and a clear error for a name that matches none."
    import subprocess
    script = ROOT / "scripts" / "time_course.py"
    r = subprocess.run([sys.executable, str(script), "--only", "no-such-lesson"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no lesson matches 'no-such-lesson'" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, str(script), "--param", "SIZE"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "expected NAME=VALUE" in r.stderr, r.stderr
    why = _missing(NEEDS["03_latency_and_energy"])
    if why: pytest.skip(why)
    r = subprocess.run([sys.executable, str(script), "--only", "03_"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| `03_latency_and_energy` | instructor |" in r.stdout and " s |" in r.stdout, r.stdout

"""The command line: a thin layer over the library. Each command parses options, calls one
public function, prints with Rich, and maps inconcert's errors to a message and exit code 2."""

import contextlib
import gc
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._version import VERSION as __version__
from .errors import InconcertError, OutputError, ParameterError
from .kinds import KINDS
from .kinds import describe as describe_kinds

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from .ingest import Ingested, InputOptions

app = typer.Typer(
    name="inconcert",
    help="Find accounts acting in concert: co-action networks with the evidence behind every "
    "edge. Coordination is evidence for review, not proof of inauthenticity or of who is "
    "behind it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Console:
    """A Rich console made on first use, so that a run that prints nothing (``--quiet``)
    never imports Rich (17 ms of a 0.8 s run from a 1M-post store)."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._made: Console | None = None

    @property
    def rich(self) -> "Console":
        if self._made is None:
            from rich.console import Console

            self._made = Console(stderr=self._stderr)
        return self._made

    def print(self, *objects: object, **options: Any) -> None:
        self.rich.print(*objects, **options)


console = _Console(stderr=True)
out = _Console(stderr=False)


def escape(text: str) -> str:
    """``text`` with Rich's markup escaped: user data (names, values) is never read as
    markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _fail(err: Exception) -> None:
    # messages quote user data (file names, values): never let Rich read them as markup
    console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


#: The signals that asked this process to end (:func:`_on_termination`), in order.
_TERMINATED_BY: list[int] = []
#: The signals :func:`_on_termination` handles (where the system has them).
_TERMINATING = [
    number for number in (getattr(signal, n, None) for n in ("SIGTERM", "SIGHUP")) if number
]


def _on_termination(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, a job scheduler's time limit) or SIGHUP (the terminal closed),
    raised in the main thread as Ctrl-C raises :class:`KeyboardInterrupt`, so that what the
    run made is cleaned up as for Ctrl-C: DuckDB's spill folder (gigabytes under a tight
    ``--memory-limit``) and the outputs' staging folder. Without it the signal ended the
    process where it stood and left them behind. A second SIGTERM or SIGHUP ends the process
    at once, as it would have without this handler."""
    for other in _TERMINATING:
        signal.signal(other, signal.SIG_DFL)
    _TERMINATED_BY.append(signum)
    raise KeyboardInterrupt


def _handle_termination() -> None:
    """:func:`_on_termination` for SIGTERM and SIGHUP, unless the process was started with
    the signal ignored or handled: ``nohup`` ignores SIGHUP so that the run outlives the
    terminal, and that must stay so."""
    for number in _TERMINATING:
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _on_termination)


def _interruption(err: BaseException) -> bool:
    """Ctrl-C or a signal (:func:`_on_termination`), also where it reached a query of the
    readers' own DuckDB connection, which raises an error of its own in its place: its
    ``RuntimeError('Query interrupted')``, or an ``InvalidInputException`` where the signal
    landed in Python code of an Arrow table the readers registered
    (:func:`inconcert.engine.query_interrupted` tells both; the engine's queries raise
    :class:`KeyboardInterrupt` again themselves)."""
    if isinstance(err, KeyboardInterrupt):
        return True
    from .engine import query_interrupted  # imported here: DuckDB's import costs the CLI

    return query_interrupted(err)


def _interrupted(out_dir: Path | None = None) -> None:
    """Say that the run was interrupted (Ctrl-C) or terminated (a signal), and what that left;
    exit with 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM), as a shell would."""
    signum = _TERMINATED_BY[0] if _TERMINATED_BY else int(signal.SIGINT)
    what = (
        "interrupted" if signum == signal.SIGINT else f"terminated ({signal.Signals(signum).name})"
    )
    where = (
        (
            f": {escape(str(out_dir))} holds a complete result (the previous one or the new "
            "one) or none, never part of one"
        )
        if out_dir
        else ""
    )
    with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
        console.print(f"[bold red]{what}[/]{where}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=128 + signum)


class _RichProgress:
    """A progress callback that draws one line per stage; with ``enabled`` false (``--quiet``)
    it draws nothing, and Rich's progress display is not even imported."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Progress | None = None
        if enabled:
            from rich import progress as bar

            self.progress = bar.Progress(
                bar.TextColumn("{task.description:<12}"),
                bar.BarColumn(),
                bar.TimeElapsedColumn(),
                console=console.rich,
                transient=False,
            )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: float, total: float | None) -> None:
        if self.progress is None:
            return
        task = self.tasks.get(stage)
        if task is None:
            task = self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(task, completed=done, total=total)

    def __enter__(self) -> "_RichProgress":
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is None:
            return
        with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
            self.progress.stop()


_FIGURES_HELP = (
    "Static figures beside report.html (network.*, timeline.*): svg, png (drawn "
    "with Matplotlib: pip install 'inconcert[png]'), svg,png or none."
)


def _check_png(formats: tuple[str, ...]) -> None:
    """PNG figures need Matplotlib (the png extra): say so before any work is done."""
    import importlib.util

    if "png" in formats and importlib.util.find_spec("matplotlib") is None:
        raise ParameterError(
            "--figures",
            "svg or none where Matplotlib is not installed (PNG needs it: pip install "
            "'inconcert[png]')",
            ",".join(formats),
        )


def _split(values: list[str] | None) -> list[str]:
    items: list[str] = []
    for v in values or []:
        items.extend(x.strip() for x in v.split(",") if x.strip())
    return items


def _window(text: str) -> float | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError as err:
        raise ParameterError("window", "a number of seconds >= 0 or 'auto'", text) from err


def _speeds(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in _split([text]))
    except ValueError as err:
        raise ParameterError("speeds", "comma-separated numbers of seconds", text) from err


def _version(value: bool) -> None:
    if value:
        out.print(f"inconcert {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """inconcert: find accounts acting in concert."""


# Options that detect and prepare share.
KindsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--kinds",
        "-k",
        help=f"Kinds of action to compare, comma-separated: {describe_kinds()}. "
        f"Default: {', '.join(k.name for k in KINDS if k.default)}.",
    ),
]
SimilarityOpt = Annotated[
    float,
    typer.Option(
        help="neartext: least estimated Jaccard similarity of two texts (character 5-grams), "
        "in (0, 1]."
    ),
]
ParaphraseSimilarityOpt = Annotated[
    float,
    typer.Option(
        help="paraphrase (extra inconcert[embed]): least cosine similarity of two texts' "
        "sentence embeddings, in (0, 1]."
    ),
]
StripHashtagsOpt = Annotated[
    bool, typer.Option(help="text/neartext: remove hashtags before comparing texts.")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Rename input columns: field=column, e.g. post_id=tweet_id (repeatable, "
        "or comma-separated).",
    ),
]
ObjectsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--objects", help="Wide actions table: column=kind, e.g. url_id=url,hashtag_id=hashtag."
    ),
]
ShapeOpt = Annotated[str, typer.Option(help="Input shape: auto, posts or actions.")]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="Input format: auto (platform exports recognised by their content; "
        "'inconcert formats' lists them), table (the canonical posts/actions table), or a "
        "format name to force it.",
    ),
]
ListSepOpt = Annotated[
    str | None,
    typer.Option(
        help="Split list cells (urls, hashtags, mentions, image_hashes) on this, e.g. ','. "
        "Default: a JSON array or whitespace."
    ),
]
TimeFormatOpt = Annotated[
    str | None,
    typer.Option(help="strptime format of the timestamp column, e.g. '%d/%m/%Y %H:%M'."),
]
TzOpt = Annotated[
    str | None,
    typer.Option(
        help="Time zone of timestamps written without one: IANA name (Europe/Berlin), offset "
        "(+02:00) or abbreviation (EDT). Default UTC. Abbreviations written in the "
        "timestamps (2021-03-01 14:33:12 EDT) are always resolved."
    ),
]
PermalinkOpt = Annotated[
    str | None,
    typer.Option(
        help="Link to each post, a template with {post_id}, {account_id}, {platform}, e.g. "
        "'https://example.org/{account_id}/{post_id}'. Platform exports have their own."
    ),
]
MappingFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="TOML mapping file: format, list_sep, time_format, tz, permalink, "
        '[map] field = column (dotted paths reach nested JSON), and [files."PATTERN"] '
        "tables with the same keys for the files matching a pattern.",
    ),
]
RejectWarningOpt = Annotated[
    float, typer.Option(help="Warn when more than this share of the rows read is rejected.")
]
SeedOpt = Annotated[int, typer.Option(help="Seed of every random step.")]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(help="Write rejected input rows (file, line, reason, record) to this CSV."),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        help="Worker threads (1 to 1024; default: every core), also the processes that "
        "share the text keys' and the links' work."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]


@app.command()
def detect(
    ctx: typer.Context,
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="CSV/JSONL (.gz) or Parquet files, or folders of them; or the folder of a "
            "store 'inconcert prepare' made."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")],
    kinds: KindsOpt = None,
    window: Annotated[
        str,
        typer.Option(
            help="Seconds, inclusive: actions at most this far "
            "apart co-act; or 'auto' to estimate it from the data "
            "(plot in window_estimate.svg)."
        ),
    ] = "60",
    window_for: Annotated[
        list[str] | None,
        typer.Option("--window-for", help="Per-kind window, e.g. text=300 (repeatable)."),
    ] = None,
    min_participation: Annotated[
        int,
        typer.Option(
            help="Minimum actions per account, and coordinated posts per network account."
        ),
    ] = 2,
    min_weight: Annotated[
        int,
        typer.Option(
            help="Minimum weight of a kept edge: co-posting events (distinct pairs of posts acting "
            "on a same object within the window)."
        ),
    ] = 3,
    min_occasions: Annotated[
        int,
        typer.Option(
            help="Minimum separate occasions of a kept edge: its co-actions in bursts more than "
            "--occasion-gap apart (one viral afternoon is one occasion)."
        ),
    ] = 2,
    occasion_gap: Annotated[
        float,
        typer.Option(help="Seconds without a co-action of the pair that separate two occasions."),
    ] = 3600.0,
    edge_weight: Annotated[
        float | None,
        typer.Option(
            help="Keep only edges with weight strictly above this quantile of all weights "
            "(CooRTweet's edge_weight, e.g. 0.5)."
        ),
    ] = None,
    max_burst: Annotated[
        int,
        typer.Option(
            help="Leave out actions with more than this many others on the same object within the "
            "window (viral moments); 0 = no cap."
        ),
    ] = 1000,
    weight_by: Annotated[
        str,
        typer.Option(
            help="Network weight of an edge: events (co-posting events), coactions (CooRTweet's "
            "count), objects (distinct objects), or tfidf (cosine of TF-IDF account vectors, "
            "discounting popular objects)."
        ),
    ] = "events",
    max_q: Annotated[
        float | None,
        typer.Option(
            help="Keep only edges whose null-model q-value (Benjamini-Hochberg false discovery "
            "rate) is at most this; 1 keeps every edge whatever its q-value."
        ),
    ] = 1e-6,
    significance: Annotated[
        bool,
        typer.Option(
            help="Compute the null model's expected co-actions, p- and q-values per edge; "
            "--no-significance saves that time on very large inputs."
        ),
    ] = True,
    speeds: Annotated[
        str,
        typer.Option(
            help="Fast subnetworks: count each edge's co-actions within these seconds, "
            "comma-separated (columns coactions_<N>s)."
        ),
    ] = "10",
    permutations: Annotated[
        int,
        typer.Option(
            help="Also run this many shuffles of the permutation test (p_permutation per edge)."
        ),
    ] = 0,
    similarity: SimilarityOpt = 0.7,
    paraphrase_similarity: ParaphraseSimilarityOpt = 0.85,
    strip_hashtags: StripHashtagsOpt = False,
    map_: MapOpt = None,
    objects: ObjectsOpt = None,
    shape: ShapeOpt = "auto",
    input_format: FormatOpt = "auto",
    list_sep: ListSepOpt = None,
    time_format: TimeFormatOpt = None,
    tz: TzOpt = None,
    permalink: PermalinkOpt = None,
    mapping_file: MappingFileOpt = None,
    reject_warning: RejectWarningOpt = 0.05,
    community: Annotated[
        str, typer.Option(help="Leiden objective: modularity or cpm.")
    ] = "modularity",
    resolution: Annotated[float, typer.Option(help="Leiden resolution γ.")] = 1.0,
    seed: SeedOpt = 0,
    compat: Annotated[
        str | None,
        typer.Option(
            help="'coortweet': reproduce CooRTweet's detect_groups + generate_coordinated_network."
        ),
    ] = None,
    rejects: RejectsOpt = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace earlier results in --out and an existing --rejects file.")
    ] = False,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            help="Memory limit of the run, e.g. 8GB, 512MiB or 60% of RAM: DuckDB gets it less "
            "what the rest of the process holds, and spills to disk past that."
        ),
    ] = None,
    threads: ThreadsOpt = None,
    max_temp_size: Annotated[
        str | None,
        typer.Option(
            help="Most temporary disk DuckDB may fill when it spills, e.g. 20GB (default: half "
            "the free space of the spill disk); past it the run stops with a message."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="Where the plan runs: duckdb (embedded) or spark (Apache Spark; pip install "
            "'inconcert[spark]' and Java 17+)."
        ),
    ] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(
            help="With --engine spark: the master, e.g. local[2] or spark://host:7077. Default: "
            "spark-submit's, else local[*]."
        ),
    ] = None,
    quiet: QuietOpt = False,
    raw_csv: Annotated[
        bool,
        typer.Option(
            "--raw-csv",
            help="Write CSV cells exactly as read (no ' before cells starting with "
            "= + - @ that spreadsheets would run as formulas).",
        ),
    ] = False,
    figures: Annotated[str, typer.Option(help=_FIGURES_HELP)] = "svg",
    pseudonymise: Annotated[
        Path | None,
        typer.Option(
            "--pseudonymise",
            help="Replace account ids in every output (tables, evidence, "
            "network files, report) by keyed HMAC-SHA256 pseudonyms; the key is read from this "
            "file and never written. The rejects file then keeps file, line and reason only.",
        ),
    ] = None,
    pseudonymise_posts: Annotated[
        bool, typer.Option("--pseudonymise-posts", help="With --pseudonymise: post ids too.")
    ] = False,
    hash_texts: Annotated[
        bool,
        typer.Option("--hash-texts", help="With --pseudonymise: texts reduced to keyed hashes."),
    ] = False,
) -> None:
    """Find coordinated accounts in posts (or a ready-made actions table) and write edges,
    accounts, groups, evidence, GraphML/GEXF, a manifest, the HTML evidence report
    (report.html) and its figures (network.svg, timeline.svg) into --out."""
    _igraph_without_plotting()
    if engine == "duckdb":
        _pyarrow_without_pandas()
    from ._assignments import parse_assignments
    from .detect import detect as run_detect
    from .options import DetectOptions
    from .outputs import check_out_dir, check_rejects_path, write_rejects, write_result
    from .report import parse_formats

    try:
        formats = parse_formats(figures)
        _check_png(formats)
    except InconcertError as err:
        _fail(err)
        return
    try:
        windows = {
            k: float(v)
            for k, v in parse_assignments(_split(window_for), option="--window-for").items()
        }
    except ValueError as err:
        _fail(ParameterError("--window-for", "kind=seconds", window_for))
        raise AssertionError from err
    if (pseudonymise_posts or hash_texts) and pseudonymise is None:
        _fail(
            ParameterError(
                "--pseudonymise-posts/--hash-texts",
                "used together with --pseudonymise KEYFILE",
                "no key file",
            )
        )
    try:
        # every --out and --rejects problem is reported before the first row is read
        check_out_dir(out_dir, overwrite=overwrite, inputs=inputs)
        pseudonymiser = None
        if pseudonymise is not None:
            from .pseudonymise import Pseudonymiser

            pseudonymiser = Pseudonymiser.from_file(
                pseudonymise, posts=pseudonymise_posts, texts=hash_texts
            )
        if rejects is not None:
            check_rejects_path(rejects, overwrite=overwrite, inputs=inputs, out_dir=out_dir)
        chosen = _split(kinds)
        defaults = DetectOptions()
        options = DetectOptions(
            kinds=tuple(chosen) if chosen else defaults.kinds,
            window=_window(window),
            windows=windows,
            min_participation=min_participation,
            min_weight=min_weight,
            min_occasions=min_occasions,
            occasion_gap=occasion_gap,
            edge_quantile=edge_weight,
            max_burst=None if max_burst == 0 else max_burst,
            community=community,
            resolution=resolution,
            seed=seed,
            compat=compat,
            memory_limit=memory_limit,
            max_temp_size=max_temp_size,
            similarity=similarity,
            paraphrase_similarity=paraphrase_similarity,
            strip_hashtags=strip_hashtags,
            max_q=max_q,
            significance=significance,
            permutations=permutations,
            weight_by=weight_by,
            speeds=_speeds(speeds),
            threads=threads,
            engine=engine,
            spark_master=spark_master,
        )
        from .store import is_store

        store = inputs[0] if len(inputs) == 1 and is_store(inputs[0]) else None
        if store is not None:  # read when it was prepared: no reading options apply
            given = [
                flag
                for flag, value, default in (
                    ("--map", map_, None),
                    ("--objects", objects, None),
                    ("--shape", shape, "auto"),
                    ("--format", input_format, "auto"),
                    ("--list-sep", list_sep, None),
                    ("--time-format", time_format, None),
                    ("--tz", tz, None),
                    ("--permalink", permalink, None),
                    ("--mapping", mapping_file, None),
                )
                if value != default
            ]
            if given:
                raise ParameterError(
                    ", ".join(given),
                    f"none for a store ({store} was read when it was prepared: prepare it again "
                    "to read it otherwise)",
                    "given",
                )
            # its runs never import the readers; the share of rejected rows that warns still
            # applies (the store's reads are reported)
            from ._ingested import check_reject_share

            check_reject_share(reject_warning)
        else:
            mapping, obj, read_options = _reading(
                map_,
                objects,
                input_format,
                list_sep,
                time_format,
                tz,
                permalink,
                mapping_file,
                reject_warning,
            )
        with _RichProgress(not quiet) as progress:
            if store is not None:
                result = run_detect(store, options=options, progress=progress, given=_given(ctx))
            else:
                result = run_detect(
                    inputs,
                    options=options,
                    mapping=mapping,
                    objects=obj,
                    shape=shape,
                    progress=progress,
                    read_options=read_options,
                )
            empty = _check_usage(result, reject_warning)
            if pseudonymiser is not None:  # links to the source name the accounts
                result.evidence = result.evidence.drop_columns(
                    [c for c in ("link_a", "link_b") if c in result.evidence.column_names]
                )
            if empty is None:
                write_result(
                    result,
                    out_dir,
                    overwrite=overwrite,
                    argv=sys.argv,
                    raw_csv=raw_csv,
                    report=True,
                    figures=formats,
                    pseudonymise=pseudonymiser,
                )
        if rejects is not None and result.ingested is not None:
            rejected = result.ingested.rejects
            if pseudonymiser is not None:  # the records and details hold ids and texts
                rejected = rejected.select(["file", "line", "reason"])
            write_rejects(
                rejected, rejects, raw=raw_csv, overwrite=overwrite, inputs=inputs, out_dir=out_dir
            )
    except InconcertError as err:
        _fail(err)
        return
    except (KeyboardInterrupt, Exception) as err:  # re-raised unless an interruption
        if not _interruption(err):
            raise
        _interrupted(out_dir)
        return
    if empty is not None:
        # the run read its input but has nothing to analyse: say why, write no results
        _nothing_to_analyse(empty)
    if not quiet:
        _print_summary(result, out_dir)


#: Exit code of a detect run whose input gave nothing to analyse (every row rejected, no row,
#: or no action); errors that stop a run are 2.
EXIT_NOTHING_TO_ANALYSE = 3


def _reading(
    map_: list[str] | None,
    objects: list[str] | None,
    input_format: str,
    list_sep: str | None,
    time_format: str | None,
    tz: str | None,
    permalink: str | None,
    mapping_file: Path | None,
    reject_warning: float,
) -> tuple[dict[str, str] | None, dict[str, str] | None, "InputOptions"]:
    """The reading options of detect's and prepare's command lines: the column mapping
    (--map, with a --mapping file's), the wide table's object columns and the rest."""
    from ._assignments import parse_assignments

    mapping = parse_assignments(_split(map_), option="--map") if map_ else None
    obj = parse_assignments(_split(objects), option="--objects") if objects else None
    read_options, mapping = _input_options(
        input_format, list_sep, time_format, tz, permalink, mapping_file, reject_warning, mapping
    )
    return mapping, obj, read_options


def _input_options(
    input_format: str,
    list_sep: str | None,
    time_format: str | None,
    tz: str | None,
    permalink: str | None,
    mapping_file: Path | None,
    reject_warning: float,
    mapping: dict[str, str] | None,
) -> tuple["InputOptions", dict[str, str] | None]:
    """The reading options of the command line, with a --mapping file's (--map wins)."""
    from .ingest import InputOptions, load_mapping_file

    base = InputOptions(
        format=input_format,
        list_sep=list_sep,
        time_format=time_format,
        tz=tz,
        permalink=permalink,
        reject_warning_share=reject_warning,
    )
    if mapping_file is None:
        return base, mapping
    options, file_mapping = load_mapping_file(mapping_file, base)
    return options, {**file_mapping, **(mapping or {})} or None


def _check_usage(result: object, reject_warning: float) -> str | None:
    """Add the input's warnings to the result; the reason it is empty, if it is."""
    from .detect import DetectResult

    assert isinstance(result, DetectResult)
    if result.ingested is None:
        return None
    from ._ingested import usage_problems

    actions = result.summary.get("actions", {})
    by_kind = actions.get("actions_by_kind") if isinstance(actions, dict) else None
    usage = usage_problems(result.ingested, by_kind, reject_warning_share=reject_warning)
    result.warnings.extend(w for w in usage.warnings if w not in result.warnings)
    return usage.empty


def _nothing_to_analyse(reason: str) -> None:
    """The run read its input but has nothing to analyse: say why and exit with
    :data:`EXIT_NOTHING_TO_ANALYSE`."""
    console.print(
        f"[bold red]error:[/] nothing to analyse: {escape(reason)}",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code=EXIT_NOTHING_TO_ANALYSE)


def _print_rows(ing: "Ingested") -> None:
    """Rows read, used and rejected (by reason) over every input."""
    rejected = sum(ing.rejected.values())
    out.print(
        f"rows read {ing.rows_read:,}, used {ing.rows_used:,}, rejected {rejected:,}"
        + (
            f" ({', '.join(f'{k}: {v:,}' for k, v in sorted(ing.rejected.items()))})"
            if rejected
            else ""
        )
    )


def _print_summary(result: object, out_dir: Path) -> None:
    from .detect import DetectResult

    assert isinstance(result, DetectResult)
    if result.ingested is not None:
        _print_rows(result.ingested)
    s = result.summary
    out.print(
        f"{s.get('edges', 0):,} edges, {s.get('accounts', 0):,} accounts in "
        f"{s.get('groups', 0):,} groups"
    )
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    groups = result.groups
    if groups.num_rows:
        from rich.table import Table

        table = Table(title="Top groups", show_lines=False)
        for col in (
            "group",
            "accounts",
            "edges",
            "density",
            "co-actions",
            "kinds",
            "median Δt (s)",
            "span (h)",
        ):
            table.add_column(col, justify="left" if col == "kinds" else "right")
        for row in groups.slice(0, 10).to_pylist():
            table.add_row(
                str(row["group_id"]),
                f"{row['size']:,}",
                f"{row['edges']:,}",
                f"{row['density']:.2f}",
                f"{row['coactions']:,}",
                row["kinds"],
                f"{row['median_dt_s']:.1f}",
                f"{row['span_hours']:.1f}",
            )
        out.print(table)
    out.print(
        f"results in {escape(str(out_dir))}/ (edges.csv, accounts.csv, groups.csv, "
        "evidence.parquet, network.graphml, network.gexf, manifest.json, report.html)",
        soft_wrap=True,
    )
    out.print(
        "Coordination is evidence for review, not proof of inauthenticity or of who is behind it.",
        style="dim",
    )


def _given(ctx: typer.Context) -> set[str]:
    """The options of the command line the user set (not left at their defaults), by the
    names of :class:`inconcert.DetectOptions` they set."""
    names = {"kinds": "kinds", "similarity": "similarity", "seed": "seed"}
    names |= {"paraphrase_similarity": "paraphrase_similarity"}
    names |= {"strip_hashtags": "strip_hashtags"}
    return {
        option
        for param, option in names.items()
        if getattr(ctx.get_parameter_source(param), "name", "DEFAULT") != "DEFAULT"
    }


@app.command()
def prepare(
    inputs: Annotated[
        list[Path], typer.Argument(help="CSV/JSONL (.gz) or Parquet files, or folders of them.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the store.")],
    kinds: KindsOpt = None,
    similarity: SimilarityOpt = 0.7,
    paraphrase_similarity: ParaphraseSimilarityOpt = 0.85,
    strip_hashtags: StripHashtagsOpt = False,
    seed: SeedOpt = 0,
    map_: MapOpt = None,
    objects: ObjectsOpt = None,
    shape: ShapeOpt = "auto",
    input_format: FormatOpt = "auto",
    list_sep: ListSepOpt = None,
    time_format: TimeFormatOpt = None,
    tz: TzOpt = None,
    permalink: PermalinkOpt = None,
    mapping_file: MappingFileOpt = None,
    reject_warning: RejectWarningOpt = 0.05,
    rejects: RejectsOpt = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a store in --out and an existing --rejects file.")
    ] = False,
    threads: ThreadsOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Read posts (or an actions table) and make their actions once, into a store folder
    (--out) that 'inconcert detect STORE' reads: runs with other windows, thresholds or fewer
    kinds then skip the reading and the actions stage, with the same tables."""
    _pyarrow_without_pandas()
    from ._ingested import usage_problems
    from .options import DetectOptions
    from .outputs import check_rejects_path, write_rejects
    from .store import check_store_path, save_store
    from .store import prepare as run_prepare

    try:
        check_store_path(out_dir, overwrite=overwrite, inputs=inputs)  # before any reading
        if rejects is not None:
            check_rejects_path(rejects, overwrite=overwrite, inputs=inputs, out_dir=out_dir)
        chosen = _split(kinds)
        options = DetectOptions(
            kinds=tuple(chosen) if chosen else DetectOptions().kinds,
            similarity=similarity,
            paraphrase_similarity=paraphrase_similarity,
            strip_hashtags=strip_hashtags,
            seed=seed,
            threads=threads,
        )
        mapping, obj, read_options = _reading(
            map_,
            objects,
            input_format,
            list_sep,
            time_format,
            tz,
            permalink,
            mapping_file,
            reject_warning,
        )
        with _RichProgress(not quiet) as progress:
            prepared = run_prepare(
                inputs,
                options=options,
                mapping=mapping,
                objects=obj,
                shape=shape,
                read_options=read_options,
                progress=progress,
            )
            by_kind = prepared.stats.actions_by_kind
            usage = usage_problems(prepared.ingested, by_kind, reject_warning_share=reject_warning)
            if usage.empty is None:
                save_store(prepared, out_dir, overwrite=overwrite, argv=sys.argv, inputs=inputs)
        if rejects is not None:
            write_rejects(
                prepared.ingested.rejects,
                rejects,
                raw=False,
                overwrite=overwrite,
                inputs=inputs,
                out_dir=out_dir,
            )
    except InconcertError as err:
        _fail(err)
        return
    except (KeyboardInterrupt, Exception) as err:  # re-raised unless an interruption
        if not _interruption(err):
            raise
        _interrupted()
        return
    if usage.empty is not None:
        _nothing_to_analyse(usage.empty)
    if quiet:
        return
    _print_rows(prepared.ingested)
    out.print("actions: " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(by_kind.items())))
    for w in usage.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    out.print(
        f"prepared {escape(str(out_dir))}/: detect on it (any window, thresholds or fewer "
        f"kinds) with: inconcert detect {escape(shlex.quote(str(out_dir)))} --out RESULT",
        soft_wrap=True,
    )


@app.command()
def formats(
    name: Annotated[str | None, typer.Argument(help="Show only this format.")] = None,
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="Print the mapping tables as Markdown (as in the README)."),
    ] = False,
) -> None:
    """List the input formats read natively: how each is recognised (--format auto) and how
    its fields map to posts."""
    from .ingest import FORMATS
    from .ingest.platforms import format_by_name

    try:
        chosen = [format_by_name(name)] if name else list(FORMATS)
    except InconcertError as err:
        _fail(err)
        return
    if markdown:
        lines: list[str] = []
        for fmt in chosen:
            lines += [
                f"#### `{fmt.name}`: {fmt.title}",
                "",
                f"Recognised by: {fmt.detection}.",
                "",
                "| field | from |",
                "| --- | --- |",
            ]
            lines += [
                f"| {field} | " + source.replace("|", "\\|") + " |" for field, source in fmt.fields
            ]
            lines.append("")
        typer.echo("\n".join(lines))
        return
    from rich.table import Table

    for fmt in chosen:
        table = Table(
            title=f"{fmt.name} ({fmt.container}): {fmt.title}",
            caption=f"recognised by: {fmt.detection}",
            title_justify="left",
            caption_justify="left",
        )
        table.add_column("field")
        table.add_column("from")
        for field, source in fmt.fields:
            table.add_row(escape(field), escape(source))
        out.print(table)
    if not name:
        out.print(
            "--format NAME forces a format; --format table reads the canonical posts "
            "table (columns named or mapped with --map).",
            style="dim",
        )


@app.command()
def report(
    result_dir: Annotated[Path, typer.Argument(help="A detect --out folder.")],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The HTML file to write (default: DIR/report.html)."),
    ] = None,
    max_evidence_rows: Annotated[
        int,
        typer.Option(help="Co-actions embedded for the drawn edges (evidence.parquet has all)."),
    ] = 50_000,
    max_nodes: Annotated[
        int, typer.Option(help="Accounts drawn in the network view (whole groups, in rank order).")
    ] = 10_000,
    figures: Annotated[str, typer.Option(help=_FIGURES_HELP)] = "svg",
) -> None:
    """Rebuild the HTML evidence report (and the network/timeline figures) from the output
    files of a finished detect run; nothing is recomputed."""
    _igraph_without_plotting()
    from .report import parse_formats, write_report

    try:
        _check_png(parse_formats(figures))
        path = write_report(
            result_dir,
            out_file,
            max_evidence_rows=max_evidence_rows,
            max_nodes=max_nodes,
            figures=figures,
        )
    except InconcertError as err:
        _fail(err)
        return
    except OSError as err:
        target = out_file if out_file is not None else result_dir
        _fail(OutputError(target, f"the report could not be written ({err.strerror or err})"))
        return
    except (KeyboardInterrupt, Exception) as err:  # re-raised unless an interruption
        if not _interruption(err):
            raise
        _interrupted()
        return
    out.print(f"report: {escape(str(path))}", soft_wrap=True)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for posts and truth.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    world: Annotated[
        str,
        typer.Option(
            help="Named world: default (today's), viral (crowds, breaking links, trending "
            "hashtags), fans (heavy-tailed celebrity fans, amplification rings) or hard "
            "(everything). The options below change it."
        ),
    ] = "default",
    organic: Annotated[int | None, typer.Option(help="Number of organic accounts.")] = None,
    groups: Annotated[int | None, typer.Option(help="Number of planted groups.")] = None,
    days: Annotated[int | None, typer.Option(help="Days of activity.")] = None,
    behaviours: Annotated[
        str | None,
        typer.Option(
            help="Planted behaviours, comma-separated, given to the groups in turn: url_ring, "
            "repost_ring, hashtag_push, copypasta, mixed, amplifier_ring, slow_copypasta."
        ),
    ] = None,
    viral_moments: Annotated[
        int | None,
        typer.Option(
            help="Viral moments: crowds of 50-400 organic accounts reposting one post within "
            "minutes."
        ),
    ] = None,
    breaking_links: Annotated[
        int | None,
        typer.Option(
            help="Breaking links: a fresh link shared by 30-200 organic accounts within a minute."
        ),
    ] = None,
    trending_tags: Annotated[
        int | None, typer.Option(help="Trending hashtags with Zipf popularity (0: none).")
    ] = None,
    heavy_fans: Annotated[
        int | None,
        typer.Option(
            help="Heavy-tailed fans per celebrity: within ~15 s once in a while, hours otherwise."
        ),
    ] = None,
    activity_sigma: Annotated[
        float | None,
        typer.Option(
            help="Spread of the lognormal posting rates (1.4 spans three orders of magnitude)."
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files.")] = False,
) -> None:
    """Write synthetic posts with planted coordinated groups among organic accounts
    (posts.csv.gz, posts.parquet) and the truth (truth.csv)."""
    from .simulate import SimulationConfig, write_simulation
    from .simulate import simulate as run_simulate

    overrides: dict[str, object] = {"seed": seed}
    for name, value in (
        ("n_organic", organic),
        ("n_groups", groups),
        ("days", days),
        ("viral_moments", viral_moments),
        ("breaking_links", breaking_links),
        ("trending_tags", trending_tags),
        ("heavy_fans", heavy_fans),
        ("activity_sigma", activity_sigma),
    ):
        if value is not None:
            overrides[name] = value
    if behaviours is not None:
        overrides["behaviours"] = tuple(_split([behaviours]))
    try:
        sim = run_simulate(SimulationConfig.preset(world, **overrides))
        paths = write_simulation(sim, out_dir, overwrite=overwrite)
    except InconcertError as err:
        _fail(err)
        return
    truth = sim.truth.to_pylist()
    planted = sum(1 for r in truth if r["group_id"] is not None)
    n_groups = len({r["group_id"] for r in truth if r["group_id"] is not None})
    out.print(
        f"{sim.posts.num_rows:,} posts by {len(truth):,} accounts; {planted:,} planted "
        f"accounts in {n_groups} groups"
    )
    for name, path in sorted(paths.items()):
        out.print(f"  {name}: {escape(str(path))}", soft_wrap=True)


@app.command()
def evaluate(
    truth: Annotated[
        Path,
        typer.Argument(
            help="truth.csv: account_id, group_id (empty = "
            "organic); or labelled accounts: account_id, label "
            "(1/0, true/false, coordinated/organic, yes/no)."
        ),
    ],
    result_dir: Annotated[Path, typer.Argument(help="A detect --out folder.")],
    by: Annotated[
        str,
        typer.Option(
            help="Score groups (group_id, Leiden communities) or connected components "
            "(component_id)."
        ),
    ] = "group_id",
) -> None:
    """Score a result against planted truth: pair precision/recall/F1, ARI, planted-account
    recall, organic accounts flagged, and ROC-AUC/average precision/precision@k of the accounts'
    score (or strength)."""
    from .evaluate import evaluate_dir

    if by not in ("group_id", "component_id"):
        _fail(ParameterError("by", "'group_id' or 'component_id'", by))
    try:
        ev = evaluate_dir(truth, result_dir, group_column=by)
    except InconcertError as err:
        _fail(err)
        return
    from rich.table import Table

    table = Table(title=f"Evaluation ({by})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in ev.as_dict().items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else f"{v:,}")
    if ev.score_column:
        table.caption = f"ranking by column {ev.score_column!r}"
    out.print(table)


#: True in the console script's own process (:func:`main`); False where ``app`` is called
#: inside another program (a test's CliRunner), whose igraph stays the ordinary one.
_OWN_PROCESS = False


def _igraph_without_plotting() -> None:
    """In the console script's own process, import igraph without its matplotlib plotting
    (:func:`inconcert.network.import_igraph`, ``plotting=False``): detect and report use igraph
    (communities, the manifest's versions, the report's layout) but never plot with it, and
    igraph would otherwise import matplotlib.pyplot (over half a second) where it is
    installed. matplotlib itself, for the PNG figures, imports as usual."""
    if _OWN_PROCESS:
        from .network import import_igraph

        import_igraph(plotting=False)


class _Absent:
    """A meta path finder for which a module is not installed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname == self.name or fullname.startswith(self.name + "."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def _pyarrow_without_pandas() -> None:
    """In the console script's own process, let pyarrow conclude that pandas is not installed.

    pyarrow imports pandas (a quarter of a second) the first time it converts a Python
    sequence, to check whether it is a pandas object, and keeps the answer for the process.
    Nothing in a detect run on DuckDB uses pandas (its results are Arrow tables, written by
    pyarrow and DuckDB), so the first check is made here while ``import pandas`` fails; the
    finder is removed at once, so pandas itself stays importable. Where pyarrow or pandas is
    already imported, or a later pyarrow asks again, this changes nothing. Not for the Spark
    engine (pyspark converts through pandas) nor for a program that calls ``app``.
    """
    if not _OWN_PROCESS or "pandas" in sys.modules:
        return
    import pyarrow as pa

    absent = _Absent("pandas")
    sys.meta_path.insert(0, absent)
    try:
        pa.array([])
    finally:
        sys.meta_path.remove(absent)


def _arrow_allocates_with_malloc() -> None:
    """In the console script's own process, pyarrow allocates with the C library's ``malloc``
    (its system memory pool) rather than its default, mimalloc, unless
    ``ARROW_DEFAULT_MEMORY_POOL`` names a pool.

    mimalloc asks Linux for transparent huge pages, which this kernel setting
    (``madvise``) then hands out 2 MiB at a time, zeroed and, under memory fragmentation,
    compacted first: reading the 1M-post file (251 MB as Arrow) touched 641 MB of huge pages,
    and the system time of a run moved 2-3x between runs with the machine's state. Alternated
    with mimalloc (farm-bench): the 1M-post run with ``--kinds url`` 2.20 s against 2.51 s
    (0.87), peak 662 MB against 800 MB, its slowest run 2.25 s against 2.79 s; the 0.94M-post
    world, default kinds, 8.53 s against 9.37 s (0.90), peak 1,020 MB against 986 MB; the
    German vignette right after CooRTweet's run 1.05-1.08 s against 1.31 s. Larger runs take
    as long, with a higher peak at 10.4M posts (README, "Arrow's allocator"). A program that
    calls the library keeps its own pool.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def main() -> None:
    """Console-script entry point: runs the command, then ends the process with
    :func:`_exit_now` (its exit code, without the interpreter's teardown).

    The objects the imports made (modules, classes, functions: they live as long as the
    process) are moved out of the garbage collector's sight first (``gc.freeze``), so that
    its full collections during the run do not walk them again: with the libraries imported
    that took 25-35 ms per full collection, and a run from a 1M-post store spent 65 ms in the
    collector, 30 ms after freezing. A cycle among them is never freed, as it would not be
    before the process ends anyway."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    _arrow_allocates_with_malloc()
    _handle_termination()
    gc.freeze()
    try:
        app()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
            if _TERMINATED_BY and code == 128 + signal.SIGINT:
                # a command without its own message (or a signal before the run began):
                # Typer ends an interrupted command with 130, as for Ctrl-C
                code = 128 + _TERMINATED_BY[0]
            _exit_now(code)
        raise
    _exit_now(0)


#: Modules whose presence means a profiler or debugger may be watching the process: its
#: report, or the debugger's session, needs the program to return as usual.
_WATCHERS = ("bdb", "cProfile", "profile", "trace", "pydevd", "debugpy")


def _watched() -> bool:
    """Whether a profiler, tracer or debugger may be watching: a profile or trace function,
    a ``sys.monitoring`` tool (Python 3.12+, where cProfile uses it), one of
    :data:`_WATCHERS` imported, or Python's development mode (``-X dev`` reports the
    resources left open at teardown)."""
    if sys.getprofile() is not None or sys.gettrace() is not None or sys.flags.dev_mode:
        return True
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6)):
        return True
    return any(name in sys.modules for name in _WATCHERS)


def _exit_now(code: int) -> None:
    """End the console script's process with ``code`` once its command is done, as ``mypy``
    does: the exit handlers run (temporary folders, helper processes, logging), the output is
    flushed, and the interpreter's teardown is skipped. That teardown frees every object of
    every imported module one by one, about 50 ms after a detect run (5% of the German
    vignette), for memory the process is about to give back whole. Every output file is
    closed by then (written through a temporary folder, renamed when complete). The process
    exits as usual while a non-daemon thread still runs (after it), and when a profiler,
    tracer or debugger may be watching (:func:`_watched`: ``python -m cProfile -o FILE``
    writes FILE after the program returns). Output that cannot be flushed (a closed pipe)
    makes the exit code 120, as Python's own exit does."""
    import atexit
    import os
    import threading

    main_thread = threading.main_thread()
    if _watched() or any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = 120
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()

"""What a finished (or stopped) study leaves in its folder: results.json, tables.md, comparison.md (yours
against the published numbers), curves.png and samples.png over every run."""

from pathlib import Path

from gan_lightning.studies.catalog import Study
from gan_lightning.studies.pages import published
from gan_lightning.studies.results import collect, write_results
from gan_lightning.studies.tables import comparison_table, differences_table, groups_table, provenance, runs_table
from gan_lightning.sweeps.jobs import read_jobs
from gan_lightning.sweeps.plots import plot_curves, plot_samples


def write_report(study: Study, folder: Path, smoke: bool, extra: list[str]) -> str:
    """Write the study folder's results and tables; return the comparison with the published numbers."""
    results = collect(study, folder, smoke, extra)
    write_results(folder, results)
    sections = [
        f"# {study.name}: {study.question}",
        provenance(results),
        "## Groups (mean ± std over seeds)",
        groups_table(results),
        *(("## Differences between groups", differences_table(results)) if len(study.groups) > 1 else ()),
        "## Runs",
        runs_table(results),
    ]
    (folder / "tables.md").write_text("\n\n".join(sections) + "\n")
    page = f"docs/results/{study.page}.md"
    comparison = f"# {study.name}: yours against the published numbers ({page})\n\n"
    comparison += comparison_table(results, published(study.name)) + "\n"
    (folder / "comparison.md").write_text(comparison)
    jobs = []
    for index, (group, _) in enumerate(study.multiruns(smoke)):
        for job in read_jobs(folder / "runs" / str(index)):
            job.varying = group.split()  # the study's group names the curves' colours
            jobs.append(job)
    if jobs:
        plot_curves(folder, jobs)
        plot_samples(folder, jobs)
    return comparison

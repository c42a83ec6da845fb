from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cohort.stream_document import DocumentWarning, StreamDocumentError
from mentors.stream_import import ImportReport, import_stream_documents


class Command(BaseCommand):
    help = (
        "Import stream documents (default: every *.txt in SEEDS_DIR) as streams and mentors. "
        "Re-running updates rows, never duplicates them; a malformed document changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="Stream documents to import.")

    def handle(self, *args, files: list[Path], **options) -> None:
        paths = files or sorted(Path(settings.SEEDS_DIR).glob("*.txt"))
        if not paths:
            raise CommandError(f"no stream documents (*.txt) in {settings.SEEDS_DIR}")
        try:
            reports = import_stream_documents(paths)
        except StreamDocumentError as error:
            raise CommandError(f"{error} (nothing was imported)") from error
        except OSError as error:
            raise CommandError(f"{error.filename}: {error.strerror} (nothing was imported)") from error
        for report in reports:
            self._write_report(report)

    def _write_report(self, report: ImportReport) -> None:
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"{report.stream_title} ({report.source_file}): {report.outcome}")
        )
        for mentor in report.mentors:
            self.stdout.write(f"  {mentor.name}: {mentor.outcome}; cadence: {mentor.cadence}")
            for warning in mentor.warnings:
                self._write_warning(warning, indent="    ")
        for warning in report.warnings:
            if warning.mentor_slug not in {mentor.slug for mentor in report.mentors}:
                self._write_warning(warning, indent="  ")

    def _write_warning(self, warning: DocumentWarning, *, indent: str) -> None:
        where = f"line {warning.line}: " if warning.line else ""
        self.stdout.write(self.style.WARNING(f"{indent}! {warning.code} {where}{warning.message}"))

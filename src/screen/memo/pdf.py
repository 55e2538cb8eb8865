"""PDF output through the optional WeasyPrint, with a fetcher that loads nothing from outside."""

from __future__ import annotations

from typing import Any

from screen.model.errors import ScreenError, install_hint


def data_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that allows `data:` URLs only (the default follows file://)."""
    import weasyprint

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 66
        return weasyprint.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - older API
        if not url.startswith("data:"):
            raise ValueError(f"memo PDFs load no external resources (refused {url[:60]})")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


PDF_INSTALL_HINT = (
    install_hint("pdf") + "; WeasyPrint needs on Debian also: "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0"
)


def html_to_pdf(html: str) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as err:  # OSError: the pango libraries are missing
        raise ScreenError(
            f"PDF output needs WeasyPrint ({type(err).__name__}: {str(err)[:120]})",
            hint=PDF_INSTALL_HINT,
        ) from None
    doc = weasyprint.HTML(string=html, url_fetcher=data_url_fetcher(), base_url="data:,")
    return doc.write_pdf()

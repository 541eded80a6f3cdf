"""MkDocs hooks: the README is the site's home page, and links written for GitHub work on the site.

The README and the pages under docs/ link the way GitHub shows them: the README
to ``docs/api.md``, any page to a file of the repository (``CHANGELOG.md``,
``../fixtures/tenants.json``). On the site the README is ``index.md`` inside
docs/, so its links to pages lose the ``docs/`` prefix, and a link to a
repository file outside docs/ becomes a link to that file on GitHub. A link to
nothing is left as written, for ``mkdocs build --strict`` to report.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# Relative Markdown links and images: ](target) or ](target#anchor), not URLs or bare anchors.
_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#|/)([^)\s]+)\)")


def on_files(files, config):
    files.append(File.generated(config, "index.md", abs_src_path=str(README)))
    return files


def on_page_markdown(markdown, page, config, files):
    # Where the page's source lies in the repository: the README at the top, the rest in docs/.
    source_dir = "" if page.file.src_uri == "index.md" else posixpath.dirname("docs/" + page.file.src_uri)

    def relink(match: re.Match) -> str:
        target = match.group(1)
        path, hash_, anchor = target.partition("#")
        in_repo = posixpath.normpath(posixpath.join(source_dir, path))
        if in_repo.startswith("docs/"):
            page_dir = posixpath.dirname(page.file.src_uri)
            return f"]({posixpath.relpath(in_repo[len('docs/'):], page_dir or '.')}{hash_}{anchor})"
        if not in_repo.startswith("..") and (ROOT / in_repo).exists():
            kind = "tree" if (ROOT / in_repo).is_dir() else "blob"
            return f"]({config.repo_url.rstrip('/')}/{kind}/main/{in_repo}{hash_}{anchor})"
        return match.group(0)

    return _LINK.sub(relink, markdown)

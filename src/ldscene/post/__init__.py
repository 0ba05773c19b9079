"""`ldscene post`: one folder with everything a forum post about a scene needs.

    post/
      01-<camera>.jpg ...   one image per scene camera (auto views when it has none)
      turntable.gif         a small animation turning once around the model
      parts.csv             the bill of materials
      bricklink.xml         a BrickLink wanted list
      post.md               the post as Markdown,
      post.bbcode.txt       as BBCode (phpBB, Eurobricks, ...),
      post.html             and as a web page that previews it

The folder is built under a temporary name beside the target and renamed at the end, so a
failed or interrupted run leaves no half-written post behind.

`request` holds what is asked and the early checks, `content` what the post says, `formats`
its Markdown/BBCode/HTML text, `make` the driver.
"""

from __future__ import annotations

from ldscene.post.content import CREDIT, EXTERNAL_LINKS, Figure, PostContent
from ldscene.post.formats import to_bbcode, to_html, to_markdown
from ldscene.post.make import make_post
from ldscene.post.request import PostRequest, check_request, still_size

__all__ = [
    "CREDIT",
    "EXTERNAL_LINKS",
    "Figure",
    "PostContent",
    "PostRequest",
    "check_request",
    "make_post",
    "still_size",
    "to_bbcode",
    "to_html",
    "to_markdown",
]

"""The post text as Markdown, BBCode (phpBB, Eurobricks, ...) and a previewing web page."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from ldscene.post.content import LDRAW_URL, LICENCE_URL, PostContent
from ldscene.wording import plural


def _url(prefix: str, name: str) -> str:
    """`name` under `prefix`, its spaces and other characters a link cannot hold
    percent-encoded (a Markdown image link ends at a space)."""
    if not prefix:
        return name
    url = prefix if prefix.endswith("/") and not name else prefix.rstrip("/") + "/" + name
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _summary_sentence(post: PostContent) -> str:
    text = (
        f"{plural(post.total, 'part')} in {plural(post.designs, 'different design')} "
        f"({plural(post.lots, 'part and colour combination')})."
    )
    return " ".join([text, *(_sentence(note) for note in post.not_counted)])


def _sentence(text: str) -> str:
    """'not counted, ...: a, b' -> 'Not counted, ...: a, b.'"""
    return text[:1].upper() + text[1:] + "."


def _md(text: str) -> str:
    """Text from the scene (title, description, camera names) as Markdown shows it as
    written: its markup characters escaped, HTML included ("*best*", "<b>", "[1]")."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def to_markdown(post: PostContent, prefix: str = "") -> str:
    out = [f"# {_md(post.title)}", ""]
    if post.description:
        out += [_md(post.description.strip()), ""]
    for fig in post.figures:
        caption = _md(fig.caption)
        out += [f"![{caption}]({_url(prefix, fig.file)})", f"*{caption}*", ""]
    if post.turntable is not None:
        t = post.turntable
        url, caption = _url(prefix, t.file), _md(t.caption)
        shown = f"[{caption} (video)]({url})" if _is_video(t.file) else f"![{caption}]({url})"
        out += [shown, f"*{caption}*", ""]
    out += ["## Parts", "", _summary_sentence(post), ""]
    if post.top_colours:
        out.append(
            "Main colours: "
            + ", ".join(f"{name} ({count:,})" for name, _, count in post.top_colours)
            + "."
        )
        out.append("")
    out += [
        f"Parts list: [CSV]({_url(prefix, post.parts_csv)}) · "
        f"[BrickLink wanted list (XML)]({_url(prefix, post.bricklink)})",
        "",
        "---",
        "",
        f"Parts: [LDraw.org Parts Library]({LDRAW_URL}), "
        f"[CC BY 2.0]({LICENCE_URL}). Rendered with ldscene.",
        "",
    ]
    return "\n".join(out)


def _is_video(file: str) -> bool:
    """A file no image tag shows (an MP4 turntable): Markdown and BBCode link to it."""
    return file.lower().endswith(".mp4")


def _swatch(rgb: str) -> str:
    """A BBCode colour square; an outline for colours too light to show on a white page."""
    r, g, b = (int(rgb[i : i + 2], 16) for i in (1, 3, 5))
    if 0.2126 * r + 0.7152 * g + 0.0722 * b > 225:
        return "[color=#999999]□[/color]"
    return f"[color={rgb}]■[/color]"


def _bb(text: str) -> str:
    """Text from the scene as BBCode shows it as written: BBCode has no escape, so a zero-width
    space after each '[' that starts something like a tag ("[b]", "[/i]", "[url=") keeps
    the forum from reading it as one."""
    return re.sub(r"\[(?=/?[A-Za-z*])", "[\u200b", text)


def to_bbcode(post: PostContent, prefix: str = "") -> str:
    out = [f"[size=150][b]{_bb(post.title)}[/b][/size]", ""]
    if post.description:
        out += [_bb(post.description.strip()), ""]
    figures = post.figures + ([post.turntable] if post.turntable is not None else [])
    for fig in figures:
        url, caption = _url(prefix, fig.file), _bb(fig.caption)
        shown = (
            f"[url={url}]{caption} (video)[/url]" if _is_video(fig.file) else f"[img]{url}[/img]"
        )
        out += [shown, f"[i]{caption}[/i]", ""]
    out += ["[b]Parts[/b]", _summary_sentence(post)]
    if post.top_colours:
        out.append(
            "Main colours: "
            + ", ".join(
                f"{_swatch(rgb)} {name} ({count:,})" for name, rgb, count in post.top_colours
            )
        )
    out += [
        f"Parts list: [url={_url(prefix, post.parts_csv)}]CSV[/url] · "
        f"[url={_url(prefix, post.bricklink)}]BrickLink wanted list (XML)[/url]",
        "",
        f"[size=85]Parts: [url={LDRAW_URL}]LDraw.org Parts Library[/url], "
        f"[url={LICENCE_URL}]CC BY 2.0[/url]. Rendered with ldscene.[/size]",
        "",
    ]
    return "\n".join(out)


_CSS = """
body { margin: 0; background: #eef1f4; color: #1f2328;
  font: 16px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
article { max-width: 880px; margin: 32px auto; background: #fff; border-radius: 10px;
  box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); padding: 36px 44px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 10px; }
h2 { font-size: 21px; margin: 34px 0 12px; padding-top: 18px; border-top: 1px solid #e4e7eb; }
.lead { font-size: 18px; color: #444c56; margin: 0 0 24px; }
figure { margin: 0 0 26px; }
figure img { display: block; width: 100%; height: auto; border-radius: 6px;
  border: 1px solid #e4e7eb; }
figure.spin img { width: auto; max-width: 100%; margin: 0 auto; }
figcaption { text-align: center; color: #6a737d; font-size: 14px; margin-top: 8px; }
.stats { display: flex; gap: 14px; margin: 0 0 18px; }
.stat { flex: 1; background: #f6f8fa; border-radius: 8px; padding: 12px 16px; }
.stat b { display: block; font-size: 24px; }
.stat span { color: #6a737d; font-size: 14px; }
.colours { list-style: none; padding: 0; margin: 0 0 18px; display: flex; flex-wrap: wrap;
  gap: 8px 18px; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px;
  vertical-align: -2px; margin-right: 6px; border: 1px solid rgba(0,0,0,.25); }
.downloads a { display: inline-block; margin: 0 10px 10px 0; padding: 7px 14px;
  border-radius: 6px; background: #0b5fce; color: #fff; text-decoration: none; font-size: 15px; }
details { margin-top: 10px; }
summary { cursor: pointer; color: #0b5fce; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eaecef; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 30px; color: #6a737d; font-size: 13px; }
footer a { color: #6a737d; }
"""


def to_html(post: PostContent) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(post.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<article>",
        f"<h1>{e(post.title)}</h1>",
    ]
    for paragraph in [p for p in re.split(r"\n\s*\n", post.description.strip()) if p]:
        out.append(f'<p class="lead">{e(paragraph)}</p>')
    for fig in post.figures:
        out.append(
            f'<figure><img src="{e(fig.file)}" alt="{e(fig.caption)}" loading="lazy">'
            f"<figcaption>{e(fig.caption)}</figcaption></figure>"
        )
    if post.turntable is not None:
        t = post.turntable
        if _is_video(t.file):
            media = f'<video src="{e(t.file)}" autoplay loop muted playsinline></video>'
        else:
            media = f'<img src="{e(t.file)}" alt="{e(t.caption)}">'
        out.append(f'<figure class="spin">{media}<figcaption>{e(t.caption)}</figcaption></figure>')
    out += [
        "<h2>Parts</h2>",
        '<div class="stats">',
        f'<div class="stat"><b>{post.total:,}</b><span>parts</span></div>',
        f'<div class="stat"><b>{post.designs:,}</b><span>different designs</span></div>',
        f'<div class="stat"><b>{post.lots:,}</b><span>part/colour lots</span></div>',
        "</div>",
    ]
    for note in post.not_counted:
        out.append(f"<p>{e(_sentence(note))}</p>")
    if post.top_colours:
        out.append('<ul class="colours">')
        for name, rgb, count in post.top_colours:
            out.append(
                f'<li><span class="swatch" style="background:{rgb}"></span>'
                f"{e(name)} <b>{count:,}</b></li>"
            )
        out.append("</ul>")
    out += [
        '<p class="downloads">',
        f'<a href="{e(post.parts_csv)}" download>Parts list (CSV)</a>',
        f'<a href="{e(post.bricklink)}" download>BrickLink wanted list (XML)</a>',
        "</p>",
    ]
    if post.lines:
        out += [
            f"<details><summary>All {post.lots:,} lots</summary>",
            "<table>",
            "<tr><th>Part</th><th>Description</th><th>Colour</th><th>Qty</th></tr>",
        ]
        for line in post.lines:
            out.append(
                f"<tr><td>{e(line.part)}</td><td>{e(line.description)}</td>"
                f'<td>{e(line.colour_name)}</td><td class="n">{line.quantity:,}</td></tr>'
            )
        out += ["</table>", "</details>"]
    out += [
        f'<footer>Parts: <a href="{LDRAW_URL}">LDraw.org Parts Library</a>, '
        f'<a href="{LICENCE_URL}">CC BY 2.0</a>. Rendered with ldscene.</footer>',
        "</article>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)

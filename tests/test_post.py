"""`ldscene post`: the forum-post folder (images, turntable, parts lists, post text)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import tiny_scene, write
from PIL import Image

from ldscene.cli import cli
from ldscene.post import CREDIT, EXTERNAL_LINKS, still_size

pytestmark = pytest.mark.slow  # renders, windows or whole scenes: seconds each

SMALL = (
    "--width",
    "160",
    "--height",
    "120",
    "--turntable-width",
    "64",
    "--frames",
    "3",
    "--jobs",
    "1",
)


def post(args: list[str]):
    return CliRunner().invoke(cli, ["post", *args])


def references(folder: Path) -> dict[str, list[str]]:
    """Every image and link target named by the three post texts."""
    md = (folder / "post.md").read_text()
    bb = (folder / "post.bbcode.txt").read_text()
    page = (folder / "post.html").read_text()
    return {
        "md": re.findall(r"\]\(([^)\s]+)\)", md),
        "bbcode": re.findall(r"\[img\]([^\[]+)\[/img\]", bb) + re.findall(r"\[url=([^\]]+)\]", bb),
        "html": re.findall(r'(?:src|href)="([^"]+)"', page),
    }


def test_post_folder_from_a_scene(tmp_path):
    scene = tiny_scene(tmp_path, side_camera="side_view")
    out = tmp_path / "kit"
    result = post([str(scene), "-o", str(out), *SMALL])
    assert result.exit_code == 0, result.output
    assert "give --url-prefix with the address you upload them to" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        ".ldscene-post.json",  # what it wrote: a new post replaces these files alone
        "01-overview.jpg",
        "02-side-view.jpg",
        "bricklink.xml",
        "parts.csv",
        "post.bbcode.txt",
        "post.html",
        "post.md",
        "turntable.gif",
    ]
    for name in ("01-overview.jpg", "02-side-view.jpg"):
        with Image.open(out / name) as im:
            assert im.format == "JPEG" and im.size == (160, 120)
    with Image.open(out / "turntable.gif") as im:
        assert im.n_frames == 3 and im.size == (64, 48)
    rows = list(csv.DictReader((out / "parts.csv").open()))
    assert sum(int(r["quantity"]) for r in rows) == 3
    assert "<ITEMID>3001</ITEMID>" in (out / "bricklink.xml").read_text()

    md = (out / "post.md").read_text()
    assert md.startswith("# Tiny test scene\n\nTwo bricks on a plate.")
    assert md.index("01-overview.jpg") < md.index("02-side-view.jpg") < md.index("turntable.gif")
    assert "*Overview*" in md and "*Side view*" in md
    assert "3 parts in 3 different designs" in md
    assert "Main colours: Blue (1), Green (1), Red (1)." in md  # ties: by LDraw code
    for text in ("post.md", "post.bbcode.txt", "post.html"):
        body = (out / text).read_text()
        # The credit line as a reader sees it (link markup removed).
        visible = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)  # Markdown links
        visible = re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", visible)  # BBCode tags
        visible = re.sub(r"<[^>]+>", "", visible)  # HTML tags
        assert CREDIT in visible, text
        assert "Tiny test scene" in body
    assert CREDIT == "LDraw.org Parts Library, CC BY 2.0"
    page = (out / "post.html").read_text()
    assert "<figcaption>Side view</figcaption>" in page and "<h1>Tiny test scene</h1>" in page
    # Nothing left beside the folder (the temporary build folder was renamed).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kit", "tiny.yaml"]

    # Every image and link resolves to a file of the folder (or is one of the credit links),
    # and every image of the folder is shown by every text.
    images = {p.name for p in out.iterdir() if p.suffix in (".jpg", ".gif")}
    for kind, targets in references(out).items():
        local = [t for t in targets if not t.startswith("http")]
        assert all((out / t).is_file() for t in local), (kind, local)
        assert all(t in EXTERNAL_LINKS for t in targets if t.startswith("http")), kind
        assert images <= set(local), (kind, images - set(local))
        assert {"parts.csv", "bricklink.xml"} <= set(local)

    # A second run replaces the previous post in place.
    result = post([str(scene), "-o", str(out), *SMALL, "--turntable", "none"])
    assert result.exit_code == 0, result.output
    assert not (out / "turntable.gif").exists() and (out / "01-overview.jpg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kit", "tiny.yaml"]

    # Not once the builder put files of their own in it: they would go with the old post.
    (out / "photos").mkdir()
    (out / "photos" / "real.jpg").write_bytes(b"mine")
    (out / "notes.txt").write_text("keep me")
    before = sorted(p.name for p in out.iterdir())
    result = post([str(scene), "-o", str(out), *SMALL, "--turntable", "none"])
    assert result.exit_code == 1
    assert "holds files ldscene did not write (notes.txt, photos/)" in result.output
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "photos" / "real.jpg").read_bytes() == b"mine"


def test_model_without_cameras_uses_auto_views(tmp_path):
    model = write(tmp_path, "my-brick.ldr", "0 A Red Brick\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    out = tmp_path / "kit"
    result = post(
        [
            str(model),
            "-o",
            str(out),
            *SMALL,
            "--turntable",
            "none",
            "--image-format",
            "png",
            "--url-prefix",
            "https://example.org/my kit/",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "has no cameras; using the auto views iso, front, back, top" in result.stderr
    assert "--url-prefix" not in result.output  # given: no note
    assert sorted(p.name for p in out.glob("*.png")) == [
        "01-iso.png",
        "02-front.png",
        "03-back.png",
        "04-top.png",
    ]
    md = (out / "post.md").read_text()
    assert md.startswith("# A Red Brick\n")  # the model's title line, not its file name
    assert "![Three-quarter view](https://example.org/my%20kit/01-iso.png)" in md
    bbcode = (out / "post.bbcode.txt").read_text()
    assert "[img]https://example.org/my%20kit/04-top.png[/img]" in bbcode
    assert 'src="01-iso.png"' in (out / "post.html").read_text()  # the preview stays local


def test_post_says_which_parts_its_list_does_not_count(tmp_path):
    # A part the library lacks is drawn as nothing and left out of the parts list; the
    # post says so where it gives the counts, in each of its three texts.
    model = write(
        tmp_path,
        "two.ldr",
        "0 two\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 4 0 -24 0 1 0 0 0 1 0 0 0 1 nosuch9.dat\n"
        "1 0 0 -40 0 1 0 0 0 1 0 0 0 1 756.dat\n1 0 0 -44 0 1 0 0 0 1 0 0 0 1 756.dat\n",
    )
    out = tmp_path / "kit"
    result = post([str(model), "-o", str(out), *SMALL, "--turntable", "none"])
    assert result.exit_code == 0, result.output
    said = "Not counted, not in the library: nosuch9.dat."
    hose = "Not counted: 2 segments of bent hoses or cables (756 x2); add each hose"  # as `parts`
    for name in ("post.md", "post.bbcode.txt", "post.html"):
        assert said in (out / name).read_text(), name
        assert hose in (out / name).read_text(), name
    assert "1 parts" not in (out / "post.md").read_text()  # the brick alone is counted
    assert (
        "1 part in 1 different design (1 part and colour combination)."
        in (out / "post.md").read_text()
    )


def test_errors_are_one_line_and_write_nothing(tmp_path):
    scene = tiny_scene(tmp_path, side_camera="side_view")
    blocker = write(tmp_path, "file.txt", "not a folder")
    other = tmp_path / "someone-elses"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    (other / "post.md").write_text("# my own draft")  # a post.md alone does not make a post
    cases = (
        (["-o", str(tmp_path / "a"), "--image-format", "tiff"], "unknown image format"),
        (["-o", str(tmp_path / "a"), "--turntable", "avi"], "unknown turntable format"),
        (["-o", str(blocker / "kit")], "cannot create the post folder"),
        (["-o", str(blocker)], "it is a file"),
        (["-o", str(other)], "not an ldscene post"),
        (["-o", str(tmp_path / "a"), "--width", "4000"], "outside 16..1600"),
        (["-o", str(tmp_path / "a"), "--url-prefix", "host/dir"], "is not a full address"),
        (["-o", str(tmp_path / "a"), "--url-prefix", "https://x.org/?a=1"], "holds a query"),
    )
    for args, words in cases:
        result = post([str(scene), *args, *SMALL[4:]])
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "someone-elses", "tiny.yaml"]
    assert (other / "notes.txt").read_text() == "keep me"
    assert (other / "post.md").read_text() == "# my own draft"


def test_still_size_keeps_the_long_side_at_most_1600():
    def request(width=None, height=None):
        return SimpleNamespace(width=width, height=height)

    def scene(size):
        return SimpleNamespace(render=SimpleNamespace(size=size))

    assert still_size(request(), None) == (1600, 1200)
    assert still_size(request(), scene((800, 600))) == (800, 600)
    assert still_size(request(), scene((4000, 1000))) == (1600, 400)
    assert still_size(request(width=640), None) == (640, 480)
    assert still_size(request(800, 800), scene((4000, 1000))) == (800, 800)


def test_a_kit_is_not_titled_with_an_editor_s_placeholder():
    """Most official models' main block is titled "main" (King's Castle) or starts with an
    editor's meta line: the post was titled "main" or "ROTATION CONFIG 0 0"."""
    from ldscene.post.content import kit_title

    assert kit_title("", "main", Path("6080 - Kings Castle.mpd")) == "6080 - Kings Castle"
    assert kit_title("", "Untitled Model", Path("moc.ldr")) == "Moc"
    assert kit_title("", "Brick  2 x  4", Path("3001")) == "Brick 2 x 4"
    assert kit_title("", "Blizzard Baron", Path("6879.mpd")) == "Blizzard Baron"
    assert kit_title("A  scene", "main", Path("s.yaml")) == "A scene"


def test_an_mp4_turntable_is_linked_not_put_in_an_image_tag():
    """Markdown and BBCode showed turntable.mp4 in image tags, which no forum displays."""
    from ldscene.post.content import Figure, PostContent
    from ldscene.post.formats import to_bbcode, to_markdown

    post = PostContent(
        "T", "", [Figure("01-a.jpg", "A")], Figure("turntable.mp4", "Spin"), 1, 1, 1, []
    )
    markdown, bbcode = to_markdown(post, "https://x.org/p/"), to_bbcode(post, "https://x.org/p/")
    assert "[Spin (video)](https://x.org/p/turntable.mp4)" in markdown
    assert "![Spin]" not in markdown and "![A](https://x.org/p/01-a.jpg)" in markdown
    assert "[url=https://x.org/p/turntable.mp4]Spin (video)[/url]" in bbcode
    assert "[img]https://x.org/p/turntable.mp4" not in bbcode
    gif = PostContent("T", "", [], Figure("turntable.gif", "Spin"), 1, 1, 1, [])
    assert "![Spin](turntable.gif)" in to_markdown(gif) and "[img]turntable.gif" in to_bbcode(gif)


def test_markdown_shows_scene_text_as_written():
    """A title "My *best* [build] <b>" became emphasis, a link and raw HTML."""
    from ldscene.post.content import Figure, PostContent
    from ldscene.post.formats import to_markdown

    post = PostContent(
        "My *best* [build] <b>", "a_b", [Figure("01-a.jpg", "Cam *1*")], None, 1, 1, 1, []
    )
    text = to_markdown(post)
    assert "# My \\*best\\* \\[build\\] \\<b\\>" in text
    assert "a\\_b" in text and "![Cam \\*1\\*](01-a.jpg)" in text


def test_file_names_keep_accented_letters_and_light_swatches_show():
    """A camera 'café/ü' gave 03-caf.jpg; White's BBCode swatch was white on a white page."""
    from ldscene.post.content import PostContent, slug
    from ldscene.post.formats import to_bbcode

    assert slug("café/ü") == "cafe-u" and slug("Front View") == "front-view"
    assert slug("日本") == "view"
    post = PostContent("T", "", [], None, 3, 2, 2, [("White", "#f4f4f4", 2), ("Red", "#b40000", 1)])
    text = to_bbcode(post)
    assert "[color=#999999]□[/color] White (2)" in text and "[color=#b40000]■[/color] Red" in text


def test_a_post_again_leaves_files_the_user_edited_alone(tmp_path):
    """Running post again replaced a post.md the user had added their story to, without a
    word (the record kept file names only)."""
    model = write(tmp_path, "one.ldr", "0 one\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    out = tmp_path / "kit"
    args = [str(model), "-o", str(out), *SMALL, "--turntable", "none"]
    assert post(args).exit_code == 0
    story = (out / "post.md").read_text() + "My long story about this build\n"
    (out / "post.md").write_text(story)
    again = post(args)
    assert again.exit_code == 1
    assert "changed after ldscene wrote them (post.md)" in again.output, again.output
    assert (out / "post.md").read_text() == story
    (out / "post.md").unlink()  # the user moved it away: the post is written again
    assert post(args).exit_code == 0 and (out / "post.md").is_file()
    assert post(args).exit_code == 0  # and unchanged, again and again


def test_bbcode_shows_scene_text_as_written():
    """A title 'Croc [b]bold[/b]' closed the post's own [b] early: BBCode read the title's
    tags as its own."""
    from ldscene.post.content import Figure, PostContent
    from ldscene.post.formats import to_bbcode

    post = PostContent(
        "Croc [b]bold[/b] [WIP]", "See [url=x]", [Figure("01-a.jpg", "Cam [i]")], None, 1, 1, 1, []
    )
    text = to_bbcode(post)
    title = text.splitlines()[0]
    assert title.count("[b]") == 1 and title.count("[/b]") == 1, title
    assert title.replace("\u200b", "") == "[size=150][b]Croc [b]bold[/b] [WIP][/b][/size]"
    assert "[url=x]" not in text and "[i]Cam [i][/i]" not in text
    assert "[img]01-a.jpg[/img]" in text  # the post's own tags stay


def test_titles_made_from_file_names_keep_their_separators():
    from ldscene.post.content import caption_for

    assert caption_for("10179-1 - Millennium Falcon - UCS") == "10179-1 - Millennium Falcon - UCS"
    assert caption_for("6080 - Kings Castle") == "6080 - Kings Castle"
    assert caption_for("street_corner") == "Street corner" and caption_for("mg42") == "MG42"

# ruff: noqa: E501
"""Write scenes/models/README.md and models.json (model catalogue for scene authors)."""

import json
import os
from pathlib import Path

M = str(Path(__file__).resolve().parents[1])
models = [
    {
        "file": "t34_76.ldr",
        "what": "Complete T-34/76 (1942, STZ-built), dark green (288), black 3873 track links, 5 rubber-tyred road wheels a side, front idler, rear drive sprocket, 60-degree glacis with driver's hatch and hull DT machine gun, sloped sponsons, engine-deck grilles, rear plate with exhausts; hexagonal cast turret with round mantlet and 76 mm F-34 gun.",
        "size_studs": {"width_x": 10.3, "length_z": 20.5, "height_bricks": 7.0},
        "origin": "ground centre under the hull (y=0 = bottom of the tracks); length along Z; gun points -Z; tank's LEFT is +X, RIGHT is -X",
        "anchors": {
            "turret_mount": [0, -112, -20],
            "gun_muzzle": [0, -134, -220],
            "hull_deck_top_y": -120,
            "track_centres_x": [-67, 67],
            "road_wheel_z": [-108, -54, 0, 54, 108],
            "road_wheel_centre_y": -39,
            "idler_zy": [-158, -46],
            "sprocket_zy": [158, -46],
            "driver_hatch": [40, -107, -143],
            "hull_mg": [-40, -106, -142],
            "engine_deck_z": [60, 140],
        },
    },
    {
        "file": "t34_hull_unfinished.ldr",
        "what": "Same hull on the assembly line: no turret (grey turntable ring exposed), no track on the left (+X) side, left road wheel #4 (z=+54) not fitted, engine hatch and left grilles missing, bare-steel (72) plates on the glacis.",
        "size_studs": {"width_x": 10.0, "length_z": 19.0, "height_bricks": 5.4},
        "origin": "as t34_76.ldr",
        "anchors": {"turret_mount": [0, -112, -20], "missing_road_wheel": [67, -39, 54]},
    },
    {
        "file": "t34_76_engine_open.ldr",
        "what": "The complete T-34/76 with its engine hatch (the deck's 2x4 tile) standing open on its front hinge, 100 degrees up, over an open bay with a small V-2 diesel (dark grey crankcase, black cylinder heads, valve covers).",
        "size_studs": {"width_x": 10.3, "length_z": 20.5, "height_bricks": 8.3},
        "origin": "as t34_76.ldr",
        "anchors": {
            "engine_bay": [[-20, 60], [20, 140]],
            "engine_top_y": -112,
            "hatch_hinge": [0, -120, 60],
        },
    },
    {
        "file": "t34_turret.ldr",
        "what": "The turret alone (hexagonal cast turret, two round roof hatches, periscopes, round mantlet, 76 mm gun).",
        "size_studs": {"width_x": 6.4, "length_z": 14.0, "height_bricks": 2.3},
        "origin": "centre of the turret ring at its base (y=0 = underside of the ring plate); gun along -Z (muzzle at z=-200, y=-22)",
        "anchors": {
            "place_on_hull_at": "hull turret_mount (0,-112,-20)",
            "body_extent_z": [-104, 80],
            "sling_points": [[-36, -64, -36], [36, -64, -36], [-36, -64, 36], [36, -64, 36]],
        },
    },
    {
        "file": "t34_turret_slung.ldr",
        "what": "The turret hanging on four minifig chains from a ring: ready to hang from the crane hook.",
        "size_studs": {"width_x": 6.4, "length_z": 14.0, "height_bricks": 5.2},
        "origin": "the sling ring = hook point; the turret's own origin is 120 LDU below it at (0,120,0)",
        "anchors": {"hang_at": "gantry_crane hook_point", "turret_origin": [0, 120, 0]},
    },
    {
        "file": "gantry_crane.ldr",
        "what": "Free-standing factory gantry crane, dark bluish grey: two lattice legs per side on rail wheels, two 32-stud lattice bridge girders, trolley with winch (black), hoist chain and crane hook (3136).",
        "size_studs": {"span_x": 33.0, "depth_z": 8.0, "height_bricks": 21.4},
        "origin": "ground centre between the legs; bridge spans X; rails (wheels) run along Z at x=+-300",
        "anchors": {
            "hook_block": [0, -312, 0],
            "hook_point": [0, -254, 11],
            "bridge_underside_y": -408,
            "bridge_top_y": -453,
            "trolley_top_y": -513,
            "leg_x": [-300, 300],
            "clear_width_between_legs": 560,
            "example": "crane at P, unfinished hull at P (its deck top at P.y-120), t34_turret_slung at P+(0,-254,11): the turret then hangs 14 LDU above the deck, being set down on its ring",
        },
    },
    {
        "file": "factory_wall.ldr",
        "what": "Brick wall section of the tractor-factory hall: reddish brown/dark red/brown running bond, 2 studs thick, two tall steel-framed windows (1x4x6 frames, dark bluish grey); left window glazed (trans-clear), right window's glass gone with a loose pane leaning out; bomb-jagged top with scorched (dark brown) bricks.",
        "size_studs": {
            "width_x": 16.0,
            "thickness_z": 2.0,
            "height_bricks": "12..18 (jagged), 15 typical",
        },
        "origin": "ground centre of the wall; wall runs along X (x=-160..160), thickness z=-20..20; window frames are flush with the -Z face (treat -Z as the outside)",
        "anchors": {
            "window_openings_x": [[-120, -40], [40, 120]],
            "window_y": [-240, -96],
            "sill_y": -96,
            "min_top_y": -288,
        },
    },
    {
        "file": "factory_wall_ruined.ldr",
        "what": "A more destroyed wall section: low broken profile, a shell hole through the middle, empty window frame, rubble (bricks in wall colours and grey concrete) piled on both sides.",
        "size_studs": {
            "width_x": 16.0,
            "footprint_with_rubble": "19 x 15",
            "height_bricks": "2..18",
        },
        "origin": "as factory_wall.ldr (ground centre, wall along X, frames on the -Z face)",
        "anchors": {"shell_hole_centre": [30, -120, 0], "window_opening_x": [-140, -60]},
    },
    {
        "file": "steel_column.ldr",
        "what": "Tall lattice steel column (two 2x2x10 triangular girders side by side, two sections), 4x4 base plate, cap plate and a 2x4 seat plate for a truss or crane rail.",
        "size_studs": {"footprint": "4 x 4", "height_bricks": 21.2},
        "origin": "ground centre",
        "anchors": {"top_seat": [0, -504, 0]},
    },
    {
        "file": "roof_truss.ldr",
        "what": "Steel roof truss spanning 32 studs: lattice bottom chord (two 2x16 girders), two rafters at 15 degrees, technic-beam web posts, seat plates at the ends.",
        "size_studs": {"span_x": 32.1, "depth_z": 4.0, "height_bricks": 7.5},
        "origin": "centre of the bottom chord's underside; span along X",
        "anchors": {
            "seats": [[-300, 0, 0], [300, 0, 0]],
            "apex_y": -177,
            "example": "two steel_column at (+-300, 0, Z); roof_truss at (0, -504, Z)",
        },
    },
    {
        "file": "factory_floor.ldr",
        "what": "32x32 studs of dark bluish grey 8x16 plates with scattered 2x2 tiles (light grey, dark grey, old dark grey) for worn concrete.",
        "size_studs": {"width_x": 32, "depth_z": 32, "height_bricks": 0.3},
        "origin": "centre; plates span y=-8..0, so the floor top (stud plane) is y=-8; tiles top at y=-16",
        "anchors": {"top_y": -8},
    },
    {
        "file": "mg42_nest.ldr",
        "what": "German MG42 firing position for a kneeling crew: a low arc of tan/dark tan sandbags (1x3 rounded-end bricks, one course, so the crew shows above it), the MG42 on its bipod on a flattened bag (tile) on the front course with its bore at a kneeling minifig's shoulder (54 LDU), an ammunition box on the left (feed) side with a belt of pearl-gold chain links running into the feed tray. Uses the custom part parts/ldscene_mg42.dat.",
        "size_studs": {"width_x": 9.4, "depth_z": 5.7, "height_bricks": 2.3},
        "origin": "ground centre of the sandbag arc (radius 80 LDU); opening (crew side) toward +Z; gun points -Z",
        "anchors": {
            "gun": [0, -40, -34],
            "gunner_kneeling": [0, 0, 14],
            "loader_kneeling": [48, 0, -4],
            "spotter_kneeling": [-64, 0, 4],
            "ammo_box": [42, -24, -36],
        },
    },
    {
        "file": "snow_yard.ldr",
        "what": "Built snow for the diorama's factory yard (x -32..32, z 8..24 in scene studs): white tiles over the white baseplate with its studs showing between, plates stacked into mounds and drifts, 11477/50950 curved slopes where they fall away; berms beside the tank ruts, mounds at the hedgehogs, a drift along the hall's open front and one behind the broken wall in the yard. Generated by snowcover.py from the scene's layout.",
        "size_studs": {"width_x": 64, "depth_z": 16, "height_bricks": 2.0},
        "origin": "the scene's origin (place at [0, 0, 0]); LDraw x = 20 * scene x, z = -20 * scene z",
        "anchors": {"ground_y": 0},
    },
    {
        "file": "snow_hall.ldr",
        "what": "Built snow inside the roofless hall: drifts against the back and left walls (6 plates high at the wall, curved slopes down), a heap round the foot of the fallen truss; on the floor plates (y=-8), one plate lower where a floor tile already fills the first layer.",
        "size_studs": {"width_x": 47, "depth_z": 29, "height_bricks": 2.2},
        "origin": "the scene's origin (place at [0, 0, 0])",
        "anchors": {"floor_top_y": -8},
    },
    {
        "file": "factory_wall_snow.ldr",
        "what": "Snow caps for factory_wall.ldr: 2-deep white tiles (a plate and a tile on longer stretches) on every top brick, a 1x4 tile on each window's sill behind the frame.",
        "size_studs": {"width_x": 16, "thickness_z": 2, "height_bricks": "on the wall top"},
        "origin": "as factory_wall.ldr: place with the same at/yaw as the wall",
        "anchors": {},
    },
    {
        "file": "factory_wall_ruined_snow.ldr",
        "what": "Snow caps for factory_wall_ruined.ldr's top bricks and sill.",
        "size_studs": {"width_x": 16, "thickness_z": 2, "height_bricks": "on the wall top"},
        "origin": "as factory_wall_ruined.ldr: place with the same at/yaw as the wall",
        "anchors": {},
    },
]
custom = [
    {
        "file": "../../parts/ldscene_mg42.dat",
        "what": "MG42 machine gun on bipod, minifig scale (no MG42-like gun exists in the official library; the only minifig firearms are 30141 rifle, 2561 musket, 30132 revolver, 55707a pistol, plus sci-fi blasters). Receiver, perforated barrel jacket (black rings), muzzle booster, front/rear sight, feed tray with belt stub, pistol grip, tapered stock, splayed bipod with feet. BFC CCW, edges and conditional lines.",
        "size_studs": {"length_z": 5.2, "width_x": 1.2, "height": "22 LDU"},
        "origin": "ground plane under the gun (bipod feet and butt rest on y=0); barrel along -Z; bore 14 LDU above y=0",
        "colour": "16 (use 0 black or 72 dark bluish grey)",
    },
    {
        "file": "../../parts/ldscene_snow_drift.dat",
        "what": "Low wind-shaped snow drift, smooth (no edge lines), flat underside. Not a LEGO piece: the diorama now builds its snow from plates, tiles and curved slopes (snow_*.ldr); kept for other scenes.",
        "size_studs": {"length_x": 8.5, "width_z": 5.5, "height": "23 LDU"},
        "origin": "centre of the flat underside on y=0",
        "colour": "16 (use 15 white)",
    },
]
minifig = {
    "body": {
        "3626c": "Minifig Head with Hollow Stud",
        "973": "Minifig Torso",
        "3818": "Minifig Arm Right",
        "3819": "Minifig Arm Left",
        "3820": "Minifig Hand",
        "3815b": "Minifig Hips",
        "3816c": "Minifig Leg Right",
        "3817c": "Minifig Leg Left",
    },
    "headgear": {
        "30171": "Minifig Cap Aviator (reads as a Soviet tanker's padded helmet)",
        "30171c01": "Minifig Cap Aviator with Black Goggles",
        "41334": "Minifig Hat Knit Cap (winter)",
        "4485": "Minifig Cap with Long Flat Peak (officer/worker cap)",
        "11303": "Minifig Cap with Short Arched Peak",
        "30273": "Minifig Helmet with Chinstrap and Wide Brim (closest to a WWII steel helmet; no Soviet SSh-40 or German Stahlhelm in the library)",
        "30135": "Minifig Hat Kepi",
        "24073": "Minifig Headdress Bandage Wrapped (wounded)",
        "25376": "Minifig Scarf Long Wrapped",
        "15428": "Minifig Hood Folded Down",
        "10164": "Minifig Headdress Beanie with Pom Pom",
    },
    "hair_beards": {
        "40233": "Minifig Hair Short Tousled",
        "20597": "Minifig Hair Short Tousled with Side Part",
        "15501": "Minifig Beard Short",
        "10052": "Minifig Beard with Rounded End",
        "15439": "Minifig Moustache",
    },
    "weapons": {
        "30141": "Minifig Gun Rifle (Mosin-Nagant stand-in)",
        "2561": "Minifig Gun Musket",
        "30132": "Minifig Gun Revolver",
        "55707a": "Minifig Gun Semiautomatic Pistol",
        "ldscene_mg42.dat": "custom MG42 (parts/)",
    },
    "tools_and_gear": {
        "30162": "Minifig Binoculars with Round Eyepiece (barrels along its z axis, across a hand's grip: for a figure looking through them, attach them to the head, at [0, -11 ldu, 22 ldu] in scene axes, and raise both arms to about 106)",
        "55295": "Minifig Tool Hammer",
        "55299": "Minifig Tool Open End Wrench",
        "55300": "Minifig Tool Box Wrench",
        "4006": "Minifig Tool Spanner/Screwdriver",
        "55296": "Minifig Tool Oilcan",
        "3837": "Minifig Shovel",
        "3841": "Minifig Pickaxe",
        "3962b": "Minifig Radio with Long Handle",
        "19220": "Minifig Radio with Large Grille",
        "24077": "Minifig Crutch",
        "3959": "Minifig Torch",
        "60169": "Minifig Chain 16L (straight)",
        "60169k02": "Minifig Chain Link (single link, used for the crane chains)",
    },
    "props": {
        "4345b": "Container Box 2x2x2 (ammo/parts box)",
        "35700": "Container 2x2x1 Crate",
        "2489": "Barrel 2x2x1.667 (fuel drum)",
        "30139": "Barrel 4x4x3.5",
        "3873": "Technic Chain Tread 2.5 Wide (spare T-34 track link)",
        "11208": "Wheel Rim 10x14 with Fake Bolts (spare road wheel rim)",
        "11209": "Tyre 10/32x14 (spare road wheel tyre)",
        "35477": "Brick 1x3x1.333 with Rounded Ends (sandbag, use tan 19 / dark tan 28)",
        "3068b": "Tile 2x2 (snow: white 15)",
        "3070b": "Tile 1x1 (snow)",
        "3024": "Plate 1x1 (snow, rubble)",
        "57895": "Glass for Window 1x4x6 (loose/broken pane)",
    },
}
doc = {
    "models_folder": "scenes/models",
    "units": "LDraw LDU: 1 stud = 20, brick = 24, plate = 8; -Y is up; every model's origin is on the ground plane y=0 unless stated",
    "parts_path": "models that use custom parts (mg42_nest.ldr; any scene using ldscene_mg42.dat or ldscene_snow_drift.dat) need the project's parts/ folder on the parts path (scene `parts_path: ../parts` relative to scenes/, or load_model(..., extra_paths=[parts/]))",
    "models": models,
    "custom_parts": custom,
    "minifig_parts": minifig,
}
tmp = M + "/models.json.tmp"

with open(tmp, "w") as fh:
    json.dump(doc, fh, indent=1)

os.replace(tmp, M + "/models.json")

lines = [
    '# STZ diorama models ("Not one step back!")',
    "",
    "LDraw sub-models for the Stalingrad Tractor Factory diorama. Units are LDU (1 stud = 20, brick = 24,",
    "plate = 8), **-Y is up**, and every model's origin is on the ground plane (y = 0) unless stated.",
    "All parts are official LDraw parts except the two custom parts in `/work/main/parts/`",
    "(see *Custom parts*); a scene that uses them must add that folder to its parts path.",
    "",
    "The same information, machine-readable, is in `models.json` (this file embeds it at the end).",
    "Everything here is generated: `cd scenes/models/generator && python t34.py && python factory.py &&",
    "python snowcover.py && python mg42.py && python snow.py && python readme.py` rewrites the models, the two",
    "custom parts and this file (snowcover.py reads the floor and wall models, so it runs after factory.py).",
    "",
    "## Models",
    "",
    "| file | what | size | origin |",
    "|---|---|---|---|",
]
for m in models:
    sz = ", ".join(f"{k} {v}" for k, v in m["size_studs"].items())
    lines.append(f"| `{m['file']}` | {m['what']} | {sz} | {m['origin']} |")
lines += ["", "### Anchors", ""]
for m in models:
    lines.append(f"- `{m['file']}`: " + "; ".join(f"{k} = {v}" for k, v in m["anchors"].items()))
lines += ["", "## Custom parts (`/work/main/parts/`)", ""]
for c in custom:
    lines.append(
        f"- `{os.path.basename(c['file'])}`: {c['what']} Size {c['size_studs']}. Origin: {c['origin']}. Colour: {c['colour']}."
    )
lines += ["", "## Minifig-relevant library parts", ""]
for grp, d in minifig.items():
    lines.append(
        f"- **{grp}**: "
        + "; ".join(
            f"`{k}.dat` {v}" if not k.endswith(".dat") else f"`{k}` {v}" for k, v in d.items()
        )
    )
lines += ["", "## JSON", "", "```json", json.dumps(doc, indent=1), "```", ""]
tmp = M + "/README.md.tmp"

with open(tmp, "w") as fh:
    fh.write("\n".join(lines))

os.replace(tmp, M + "/README.md")
print("ok")

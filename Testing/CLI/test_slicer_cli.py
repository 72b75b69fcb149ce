"""The command-line tools as 3D Slicer CLI modules:
  test_slicer_cli.py BUILD_DIR
1. each tool's --xml parses and has what Slicer's ModuleDescription schema requires: the module
   elements; per group a label and description; per parameter a valid type, name, label,
   description, a long flag or an index, a channel on images and files, unique names and flags,
   defaults of the declared type inside their constraints, enumeration defaults among the elements;
2. each tool runs with arguments built from its own XML as Slicer builds them (every parameter with
   a default passed with it, booleans only when on, every output requested, the <index>
   parameters positional, --returnparameterfile) on the shipped sample data, writes every
   declared output, reports <filter-...> progress, and writes each declared result."""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np

BUILD = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(ROOT, "Examples", "Data", "hubble_deep_field_crop.mha")
SLICER_TYPES = {"integer", "float", "double", "boolean", "string", "integer-vector", "float-vector",
                "double-vector", "string-vector", "integer-enumeration", "float-enumeration",
                "double-enumeration", "string-enumeration", "file", "directory", "image", "geometry",
                "point", "pointfile", "region", "table", "transform", "measurement"}
MODULE_ELEMENTS = ["category", "title", "description", "version", "documentation-url", "license",
                   "contributor", "acknowledgements"]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def parse_value(kind, text):
    """Raises when text is not a value of the Slicer type kind."""
    if kind == "integer":
        return int(text)
    if kind in ("float", "double"):
        return float(text)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError(text)
        return text == "true"
    if kind == "integer-vector":
        return [int(v) for v in text.split(",")]
    if kind in ("float-vector", "double-vector"):
        return [float(v) for v in text.split(",")]
    return text


def check_xml(tool, root):
    for element in MODULE_ELEMENTS:
        check(root.find(element) is not None and (root.find(element).text or "").strip(),
              f"{tool}: <{element}> missing or empty")
    names, flags, indices = set(), set(), []
    for group in root.findall("parameters"):
        label = group.find("label")
        check(label is not None and label.text, f"{tool}: a parameter group without a label")
        check(group.find("description") is not None, f"{tool}: group {label.text} has no description")
        for p in group:
            if p.tag in ("label", "description"):
                continue
            where = f"{tool}: <{p.tag}> {p.findtext('name')}"
            check(p.tag in SLICER_TYPES, f"{where}: not a Slicer parameter type")
            for element in ("name", "label", "description"):
                check(p.findtext(element), f"{where}: no <{element}>")
            name = p.findtext("name") or ""
            check(name.isidentifier(), f"{where}: the name is not an identifier")
            check(name not in names, f"{where}: duplicate name")
            names.add(name)
            returned = p.findtext("channel") == "output" and p.tag not in ("image", "file")
            if returned:
                check(p.find("longflag") is None and p.find("index") is None,
                      f"{where}: a result has no flag")
                continue
            check((p.find("longflag") is None) != (p.find("index") is None), f"{where}: a long flag or an index")
            if p.find("longflag") is not None:
                flag = p.findtext("longflag")
                check(flag not in flags, f"{where}: duplicate flag {flag}")
                flags.add(flag)
            else:
                indices.append(int(p.findtext("index")))
            if p.tag in ("image", "file"):
                check(p.findtext("channel") in ("input", "output"), f"{where}: images and files need a <channel>")
            default = p.findtext("default")
            if default is not None:
                try:
                    value = parse_value(p.tag.replace("string-enumeration", "string"), default)
                except ValueError:
                    check(False, f"{where}: default {default!r} is not a {p.tag}")
                    continue
                if p.tag == "string-enumeration":
                    check(default in [e.text for e in p.findall("element")], f"{where}: default not among elements")
                constraints = p.find("constraints")
                if constraints is not None and not isinstance(value, list):
                    low, high = constraints.findtext("minimum"), constraints.findtext("maximum")
                    check(low is None or value >= float(low), f"{where}: default below the minimum")
                    check(high is None or value <= float(high), f"{where}: default above the maximum")
            if p.tag == "string-enumeration":
                check(len(p.findall("element")) >= 2, f"{where}: an enumeration needs elements")
    check(sorted(indices) == list(range(len(indices))), f"{tool}: indices {indices} are not 0, 1, ...")


def slicer_arguments(root, choices, folder, unused=()):
    """The command line Slicer builds: flags for every parameter with a value (a default or the
    user's choice; booleans only when on; outputs to files in folder, except those the user left
    empty, `unused`), then the <index> ones."""
    flags, positional, outputs = [], {}, []
    for group in root.findall("parameters"):
        for p in group:
            if p.tag in ("label", "description") or (p.findtext("channel") == "output" and p.tag not in ("image", "file")):
                continue
            name = p.findtext("name")
            if name in unused:
                continue
            value = choices.get(name, p.findtext("default"))
            if p.tag in ("image", "file") and p.findtext("channel") == "output":
                extension = (p.get("fileExtensions") or ".mha").split(",")[0]
                value = os.path.join(folder, name + extension)
                outputs.append(value)
            if p.tag == "boolean":
                if value == "true":
                    flags.append("--" + p.findtext("longflag"))
                continue
            if value is None:
                continue
            if p.find("index") is not None:
                positional[int(p.findtext("index"))] = value
            else:
                flags += ["--" + p.findtext("longflag"), value]
    return flags + [positional[i] for i in sorted(positional)], outputs


def run_as_slicer(tool, choices, folder, unused=()):
    root = ET.fromstring(subprocess.run([os.path.join(BUILD, "Examples", tool), "--xml"], check=True,
                                        capture_output=True, text=True).stdout)
    arguments, outputs = slicer_arguments(root, choices, folder, unused)
    results = os.path.join(folder, "results.txt")
    command = [os.path.join(BUILD, "Examples", tool)] + arguments + [
        "--returnparameterfile", results, "--processinformationaddress", "0x0"]
    run = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    check(run.returncode == 0, f"{tool}: the Slicer-style run failed ({run.returncode}): {run.stderr.strip()[-300:]}"
          f"\n    command: {' '.join(command)}")
    if run.returncode != 0:
        return
    for path in outputs:
        check(os.path.isfile(path) and os.path.getsize(path) > 0, f"{tool}: output {os.path.basename(path)} not written")
    check("<filter-start>" in run.stdout and "<filter-end>" in run.stdout, f"{tool}: no <filter-start>/<filter-end>")
    declared = [p.findtext("name") for group in root.findall("parameters") for p in group
                if p.findtext("channel") == "output" and p.tag not in ("image", "file")]
    written = {}
    if os.path.isfile(results):
        for line in open(results):
            name, _, value = line.partition(" = ")
            written[name.strip()] = value.strip()
    for name in declared:
        check(name in written, f"{tool}: result {name} not in the --returnparameterfile")
        if name in written:
            float(written[name])
    progress = run.stdout.count("<filter-progress>")
    print(f"{tool}: {len(arguments)} arguments, {len(outputs)} outputs, results {written}, "
          f"{progress} progress lines")
    return root


def make_traces(path):
    rng = np.random.default_rng(1)
    spikes = (rng.random((20, 400)) < 0.02).astype(float)
    kernel = np.exp(-np.arange(40) / 10.0)
    traces = np.array([np.convolve(s, kernel)[:400] for s in spikes]) + rng.normal(0, 0.2, (20, 400))
    np.savetxt(path, traces, delimiter=",", fmt="%.5f")


def make_movie(path):
    """40 x 40 pixels x 80 frames, two disk cells firing through an exponential, with noise."""
    rng = np.random.default_rng(2)
    frames = np.arange(80)
    movie = 10.0 + rng.normal(0, 0.3, (80, 40, 40))
    y, x = np.mgrid[0:40, 0:40]
    for cx, cy, first in ((12, 14, 3), (28, 26, 9)):
        disk = 1.0 / (1.0 + np.exp((np.hypot(x - cx, y - cy) - 3.0) / 0.7))
        activity = np.zeros(80)
        for t0 in range(first, 80, 13):
            activity[t0:] += np.exp(-(frames[t0:] - t0) / 5.0)
        movie += 6.0 * activity[:, None, None] * disk[None]
    header = ("ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
              "DimSize = 40 40 80\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n")
    with open(path, "wb") as f:
        f.write(header.encode() + movie.astype("<f4").tobytes())


with tempfile.TemporaryDirectory() as work:
    tools = ["ConvolutionalSparseCoding", "GroupSparseSourceLocalization", "DictionaryLearning",
             "MultiLayerConvolutionalSparseCoding", "SpaceTimeDeconvolution", "LoGSourceDetector"]
    for tool in tools:
        xml_text = subprocess.run([os.path.join(BUILD, "Examples", tool), "--xml"], check=True,
                                  capture_output=True, text=True).stdout
        check_xml(tool, ET.fromstring(xml_text))
    traces = os.path.join(work, "traces.csv")
    make_traces(traces)
    folders = {tool: os.path.join(work, tool) for tool in tools}
    for folder in folders.values():
        os.mkdir(folder)
    choices = {
        "ConvolutionalSparseCoding": {"input": SAMPLE, "gaussianDictionary": "1,2", "nonnegative": "true"},
        "GroupSparseSourceLocalization": {"input": SAMPLE, "kernels": "gauss:1.5,2.5;background:gauss:32",
                                          "lambda": "60", "threshold": "20", "fitSources": "false"},
        "DictionaryLearning": {"input": SAMPLE, "kernels": "4", "lambda": "0.1", "iterations": "3"},
        "LoGSourceDetector": {"input": SAMPLE, "sigmas": "1,2"},
    }
    for tool, chosen in choices.items():
        run_as_slicer(tool, chosen, folders[tool])
    # SpaceTimeDeconvolution has two modes; each leaves the other's outputs empty.
    movie_outputs = ("outputLabels", "outputCells", "outputTraces", "outputAppearances", "outputBackground",
                     "outputOverlay")
    run_as_slicer("SpaceTimeDeconvolution", {"inputTraces": traces, "responseLength": "40"},
                  folders["SpaceTimeDeconvolution"], unused=("input",) + movie_outputs)
    movie = os.path.join(work, "movie.mha")
    make_movie(movie)
    os.mkdir(os.path.join(work, "movie"))
    run_as_slicer("SpaceTimeDeconvolution", {"input": movie, "responseLength": "15", "appearanceSize": "9"},
                  os.path.join(work, "movie"), unused=("inputTraces",))
    # One layer over the dictionary DictionaryLearning just learned.
    learned = os.path.join(folders["DictionaryLearning"], "outputDictionary.mha")
    run_as_slicer("MultiLayerConvolutionalSparseCoding",
                  {"input": SAMPLE, "dictionaries": learned, "lambdas": "0.1",
                   "outputPrefix": os.path.join(folders["MultiLayerConvolutionalSparseCoding"], "ml"),
                   "maxIterations": "20"}, folders["MultiLayerConvolutionalSparseCoding"])

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)

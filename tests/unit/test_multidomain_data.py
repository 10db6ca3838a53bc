"""Folder-per-domain and CSV / CelebA label layouts, validation messages, the demo and the data stream."""

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data import labelled as data
from attentiongan_tf.data.labelled_demo import write_multidomain_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_multidomain_demo(tmp_path_factory.mktemp("md") / "demo", size=16, train=4, test=2)


def test_demo_layouts_agree(demo):
    folders = data.folder_domains(demo["train_dir"])
    table = data.csv_domains(demo["train_csv"], demo["train_dir"])
    assert folders["domains"] == table["domains"] == ["blue", "red", "violet"]
    assert [str(f) for f in folders["files"]] == [str(f) for f in table["files"]]
    np.testing.assert_array_equal(folders["labels"], table["labels"])
    assert folders["labels"].shape == (12, 3) and folders["labels"].sum() == 12
    assert data.resolve_classification(folders["labels"]) == "single_label"


def test_demo_reuse_and_refuse(demo, tmp_path):
    assert write_multidomain_demo(demo["root"], size=16, train=4, test=2)["domains"] == demo["domains"]
    with pytest.raises(FileExistsError, match="not a multi-domain demo"):
        write_multidomain_demo(demo["root"], size=16, train=5, test=2)
    with pytest.raises(ValueError, match="demo domains"):
        write_multidomain_demo(tmp_path / "x", domains=("red", "green"))


def test_demo_domains_differ_in_object_colour(demo):
    red = np.asarray(Image.open(demo["train_dir"] / "red" / "0000.png"), float)
    blue = np.asarray(Image.open(demo["train_dir"] / "blue" / "0000.png"), float)
    assert red[..., 0].max() > 200 and blue[..., 2].max() > 200


def test_celeba_attribute_file_and_selection(tmp_path):
    for name in ("a.jpg", "b.jpg"):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / name)
    (tmp_path / "list_attr_celeba.txt").write_text("2\nBlack_Hair Blond_Hair Male\na.jpg 1 -1 1\nb.jpg -1 1 -1\n")
    table = data.csv_domains(tmp_path / "list_attr_celeba.txt", attributes=["Male", "Blond_Hair"])
    assert table["domains"] == ["Male", "Blond_Hair"]
    np.testing.assert_array_equal(table["labels"], [[1, 0], [0, 1]])
    multi = data.csv_domains(tmp_path / "list_attr_celeba.txt")
    assert data.resolve_classification(multi["labels"]) == "multi_label"
    with pytest.raises(ValueError, match="single_label"):
        data.resolve_classification(multi["labels"], "single_label")
    with pytest.raises(ValueError, match="Bald"):
        data.csv_domains(tmp_path / "list_attr_celeba.txt", attributes=["Bald"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("filename,a,b\nx.png,1\n", r"labels.csv:2: expected 3 fields"),
        ("filename,a,b\nx.png,1,2\n", r"labels.csv:2: label values must be 0/1"),
        ("filename,a,b\nmissing.png,1,0\n", r"do not exist.*missing.png"),
        ("filename,a,b\n", "lists no images"),
    ],
)
def test_csv_errors_name_the_file(tmp_path, text, message):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    (tmp_path / "labels.csv").write_text(text)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        data.csv_domains(tmp_path / "labels.csv")


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.folder_domains(tmp_path / "nope")
    (tmp_path / "only").mkdir()
    with pytest.raises(ValueError, match="at least 2"):
        data.folder_domains(tmp_path)
    with pytest.raises(ValueError, match="labels-csv"):
        data.load_labelled_images(tmp_path, layout="csv")


def test_parse_target():
    domains = ["Black_Hair", "Blond_Hair", "Male"]
    np.testing.assert_array_equal(data.parse_target("Blond_Hair+Male", domains), [0, 1, 1])
    np.testing.assert_array_equal(data.parse_target("1,0,0", domains), [1, 0, 0])
    with pytest.raises(ValueError, match="unknown domain"):
        data.parse_target("Bald", domains)


def test_stream_is_deterministic_and_resumable(demo):
    scan = data.folder_domains(demo["train_dir"])
    full = data.train_dataset(scan["files"], scan["labels"], 4, 16, seed=1).take(3)
    batches = [{k: v.numpy() for k, v in b.items()} for b in full]
    assert batches[0]["image"].shape == (4, 16, 16, 3) and batches[0]["target"].shape == (4, 3)
    assert -1.0 <= batches[0]["image"].min() and batches[0]["image"].max() <= 1.0
    resumed = next(iter(data.train_dataset(scan["files"], scan["labels"], 4, 16, seed=1, start_example=8)))
    for key in ("image", "label", "target"):
        np.testing.assert_array_equal(resumed[key].numpy(), batches[2][key])

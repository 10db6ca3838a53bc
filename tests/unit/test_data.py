import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data.unpaired import domain_folders, sample_images, scan_domain, train_dataset


def make_folder(root, name, count, size=20, mode="RGB"):
    folder = root / name
    folder.mkdir(parents=True)
    for i in range(count):
        value = (i * 40) % 255
        Image.new(mode, (size, size + 4), value if mode == "L" else (value, 0, 255 - value)).save(folder / f"{i}.png")
    return folder


def take(dataset, n):
    return [{k: v.numpy() for k, v in batch.items()} for batch in dataset.take(n)]


def test_batches_shapes_range_and_grayscale(tmp_path):
    a = scan_domain(make_folder(tmp_path, "trainA", 3))["files"]
    b = scan_domain(make_folder(tmp_path, "trainB", 2, mode="L"))["files"]
    batches = take(train_dataset(a, b, batch_size=2, load_size=20, crop_size=16), 3)
    for batch in batches:
        assert batch["A"].shape == (2, 16, 16, 3) and batch["B"].shape == (2, 16, 16, 3)
        assert batch["A"].min() >= -1 and batch["A"].max() <= 1
        np.testing.assert_allclose(batch["B"][..., 0], batch["B"][..., 2], atol=1e-5)  # grey stays grey


def test_each_epoch_visits_every_file_once(tmp_path):
    files = scan_domain(make_folder(tmp_path, "trainA", 5))["files"]
    dataset = train_dataset(files, files[:2], batch_size=1, load_size=20, crop_size=20, flip=False)
    means = [round(float(b["A"][0, ..., 0].mean()), 3) for b in take(dataset, 10)]
    assert len(set(means[:5])) == 5 and sorted(means[:5]) == sorted(means[5:])


def test_resume_position_is_exact(tmp_path):
    a = scan_domain(make_folder(tmp_path, "trainA", 3))["files"]
    b = scan_domain(make_folder(tmp_path, "trainB", 4))["files"]
    full = take(train_dataset(a, b, 2, 24, 16, seed=3), 6)
    resumed = take(train_dataset(a, b, 2, 24, 16, seed=3, start_example=4 * 2), 2)
    for x, y in zip(full[4:], resumed, strict=True):
        np.testing.assert_array_equal(x["A"], y["A"])
        np.testing.assert_array_equal(x["B"], y["B"])
    other = take(train_dataset(a, b, 2, 24, 16, seed=4), 6)
    assert any(not np.array_equal(x["A"], y["A"]) for x, y in zip(full, other, strict=True))


def test_corrupt_files_are_skipped_and_reported_once(tmp_path, caplog):
    folder = make_folder(tmp_path, "trainA", 2)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8garbage")
    with caplog.at_level("WARNING"):
        result = scan_domain(folder)
    assert len(result["files"]) == 2 and [p.name for p, _ in result["skipped"]] == ["broken.jpg"]
    warnings = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(warnings) == 1 and "broken.jpg" in warnings[0].getMessage()


def test_only_corrupt_files_is_an_error(tmp_path):
    (tmp_path / "trainA").mkdir()
    (tmp_path / "trainA" / "x.png").write_bytes(b"nope")
    with pytest.raises(ValueError, match="no readable images.*trainA"):
        scan_domain(tmp_path / "trainA")


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        domain_folders(tmp_path / "nowhere")
    make_folder(tmp_path, "trainA", 1)
    with pytest.raises(FileNotFoundError, match="trainB"):
        domain_folders(tmp_path)
    (tmp_path / "trainB").mkdir()
    with pytest.raises(ValueError, match="trainB"):
        scan_domain(domain_folders(tmp_path)["B"])


def test_sample_images_prefers_test_folders(tmp_path):
    make_folder(tmp_path, "trainA", 3)
    make_folder(tmp_path, "testA", 1, mode="L")
    images = sample_images(tmp_path, "A", 4, 8)
    assert images.shape == (1, 8, 8, 3)
    assert sample_images(tmp_path / "", "A", 4, 8).shape == (1, 8, 8, 3)
    with pytest.raises(ValueError, match="domain B"):
        sample_images(tmp_path, "B", 2, 8)

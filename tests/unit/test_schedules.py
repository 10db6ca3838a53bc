import keras
import pytest

from attentiongan_tf.training.schedules import ConstantThenLinearDecay, EpochLinearDecay


@pytest.mark.parametrize(
    "step, expected",
    [(0, 2e-4), (99, 2e-4), (100, 2e-4), (150, 1e-4), (175, 5e-5), (200, 0.0), (1000, 0.0)],
)
def test_values_at_key_steps(step, expected):
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=100)
    assert float(schedule(step)) == pytest.approx(expected, abs=1e-10)


def test_no_decay_is_constant():
    assert float(ConstantThenLinearDecay(1e-3, 10, 0)(10**6)) == pytest.approx(1e-3)


def test_serializable_round_trip():
    schedule = ConstantThenLinearDecay(2e-4, 7, 3)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert restored.get_config() == schedule.get_config()
    assert float(restored(8)) == pytest.approx(float(schedule(8)))


def test_rejects_negative_steps():
    with pytest.raises(ValueError, match="constant_steps"):
        ConstantThenLinearDecay(1e-3, -1, 3)


def test_optimizer_uses_steps():
    optimizer = keras.optimizers.Adam(ConstantThenLinearDecay(1.0, 2, 2))
    optimizer.iterations.assign(3)
    assert float(optimizer.learning_rate) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "step, expected",
    # niter 100 + niter_decay 100 epochs of 2 steps: the official LambdaLR value of epoch ⌊step / 2⌋.
    [(0, 2e-4), (199, 2e-4), (200, 2e-4 * 100 / 101), (201, 2e-4 * 100 / 101), (399, 2e-4 / 101), (400, 0.0)],
)
def test_epoch_schedule_at_key_steps(step, expected):
    schedule = EpochLinearDecay(2e-4, constant_epochs=100, decay_epochs=100, steps_per_epoch=2)
    assert float(schedule(step)) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_epoch_schedule_without_decay_is_constant():
    assert float(EpochLinearDecay(1e-3, 10, 0)(10**6)) == pytest.approx(1e-3)


def test_epoch_schedule_round_trip_and_validation():
    schedule = EpochLinearDecay(2e-4, 7, 3, steps_per_epoch=4)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert restored.get_config() == schedule.get_config()
    assert float(restored(33)) == pytest.approx(float(schedule(33)))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        EpochLinearDecay(1e-3, 1, 1, steps_per_epoch=0)

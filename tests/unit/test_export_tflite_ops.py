"""The Flex / custom op scan of .tflite flatbuffers really detects non-builtin ops."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.export.tflite import convert_variant, non_builtin_ops, operator_names, representative_dataset


def _convert(fn, spec, ops):
    concrete = tf.function(fn, input_signature=[spec]).get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], None)
    converter.target_spec.supported_ops = ops
    return converter.convert()


def test_scan_finds_flex_ops_and_passes_builtin_models():
    spec = tf.TensorSpec([3, 3], tf.float32)
    flex = _convert(tf.linalg.inv, spec, [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS])
    assert non_builtin_ops(flex) == ["FlexMatrixInverse"]
    builtin = _convert(lambda x: tf.nn.relu(x) * 2.0, spec, [tf.lite.OpsSet.TFLITE_BUILTINS])
    assert non_builtin_ops(builtin) == []
    assert set(operator_names(builtin)) == {"RELU", "MUL"}


def test_conversion_arguments_are_validated(tmp_path):
    with pytest.raises(ValueError, match="unknown TFLite variant"):
        convert_variant(tmp_path, "int4")
    with pytest.raises(ValueError, match="representative"):
        convert_variant(tmp_path, "int8")
    with pytest.raises(ValueError, match="at least one"):
        representative_dataset([])


def test_representative_dataset_feeds_both_signatures():
    samples = list(representative_dataset([np.full((8, 12, 3), 255, np.uint8)])())
    assert [key for key, _ in samples] == ["serving_default", "translate_float"]
    assert samples[0][1]["images"].dtype == tf.uint8
    np.testing.assert_allclose(samples[1][1]["images"].numpy(), 1.0)

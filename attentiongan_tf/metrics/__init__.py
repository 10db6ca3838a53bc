"""Evaluation metrics: FID and KID on FID Inception-v3 features, PSNR/SSIM, and mask-based attention metrics."""

from attentiongan_tf.metrics.fid import feature_statistics, fid_from_features, frechet_distance
from attentiongan_tf.metrics.image_metrics import psnr, ssim
from attentiongan_tf.metrics.kid import kernel_inception_distance, polynomial_mmd2_unbiased
from attentiongan_tf.metrics.mask_metrics import attention_iou, binarize_mask, mask_metrics

__all__ = [
    "attention_iou",
    "binarize_mask",
    "feature_statistics",
    "fid_from_features",
    "frechet_distance",
    "kernel_inception_distance",
    "mask_metrics",
    "polynomial_mmd2_unbiased",
    "psnr",
    "ssim",
]

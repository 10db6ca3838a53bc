"""The networks: generators (scheme I/II, geo, CycleGAN ablation), PatchGAN discriminators and the
multi-domain conditional models."""

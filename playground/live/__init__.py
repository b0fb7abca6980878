"""Live training of tiny 2-D generative models, small enough to watch learn in the page.

Four families, keyed like the shipped ones they mirror (playground/base.FAMILIES):
- "gan": an MLP generator against an MLP discriminator (non-saturating loss), with a D:G step ratio.
- "vae": an MLP encoder/decoder with a Gaussian decoder of fixed width and a β on the KL term.
- "flow": the shipped RealNVP's affine couplings, alternating which coordinate they transform.
- "ddpm": the shipped diffusion machinery (noise schedule, noise-prediction loss, DDIM) with
  ldm-mnist's residual MLP denoiser, on points; its view is the denoising field and reverse paths.

playground/live/models.py holds the families (LIVE_FAMILIES) and the kept copy the backend serves
to the other tabs; playground/live/trainer.py the knobs, targets, trainer loop and presets;
playground/live/first_look.py the default run's final frame, stored when the app is shipped.
"""
from playground.live.models import (GRID, LIVE_FAMILIES, SCHEDULES, KeptConfig, KeptModel,  # noqa: F401
                                    LiveDiffusion, LiveFlow, LiveGAN, LiveModel, LiveVAE,
                                    live_family)
from playground.live.trainer import (MAX_STEPS, N_DATA, N_VIEW, PRESETS, RATIOS,  # noqa: F401
                                     SAMPLING_STEPS,
                                     TARGETS, LiveConfig, LiveTrainer, checked_config, coverage, keep,
                                     mmd, points_from_drawing, target_points)

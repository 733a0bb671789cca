"""The model registry: built-ins by lazy ``"module:Class"`` target (so listing models never
imports TensorFlow or PyTorch); entry-point group ``dgpbench.models`` for third parties."""

from __future__ import annotations

from dgpbench.generators.registry import lookups
from dgpbench.models.base import Model
from dgpbench.registry import Registry

MODELS = Registry(
    "model",
    "dgpbench.models",
    {
        # reference estimators (statsmodels)
        "ols": "dgpbench.models.reference:OLS",
        "twfe": "dgpbench.models.reference:TWFE",
        "mixedlm": "dgpbench.models.reference:MixedLM",
        # naive baselines (statsmodels)
        "linear_gaussian": "dgpbench.models.baselines:LinearGaussian",
        "diff_in_means": "dgpbench.models.baselines:DiffInMeans",
        "s_learner": "dgpbench.models.baselines:SLearner",
        "t_learner": "dgpbench.models.baselines:TLearner",
        "scale_gaussian": "dgpbench.models.sensitivity.references:ScaleGaussian",
        # TensorFlow Probability
        "mdn": "dgpbench.models.tfp.mdn:MDN",
        "glmm_vi": "dgpbench.models.tfp.glmm_vi:GlmmVI",
        # PyTorch
        "diffusion": "dgpbench.models.torch.diffusion:Diffusion",
        "diffusion_joint": "dgpbench.models.torch.diffusion:DiffusionJoint",
        "tarnet": "dgpbench.models.torch.causal_nets:TARNet",
        "dcn_pd": "dgpbench.models.torch.causal_nets:DCNPD",
        "dragonnet": "dgpbench.models.torch.causal_nets:Dragonnet",
        # the sensitivity suite's broken variants and yardstick: listed apart, and a suite
        # may name one only beside the correct model it breaks (models/sensitivity/)
        "two_mode_family": "dgpbench.models.sensitivity.references:TwoModeFamily",
        "twfe_wide_sd": "dgpbench.models.sensitivity.variants:TWFEWideSd",
        "scale_gaussian_wide_sd": "dgpbench.models.sensitivity.variants:ScaleGaussianWideSd",
        "scale_gaussian_permuted": "dgpbench.models.sensitivity.variants:ScaleGaussianPermuted",
        "two_mode_one_mode": "dgpbench.models.sensitivity.variants:TwoModeOneMode",
        "t_learner_constant_effect": "dgpbench.models.sensitivity.variants:TLearnerConstantEffect",
        "ols_shifted_2se": "dgpbench.models.sensitivity.variants:OLSShifted",
        "twfe_shifted_2se": "dgpbench.models.sensitivity.variants:TWFEShifted",
        "outcome_leak": "dgpbench.models.sensitivity.leak:OutcomeLeak",
    },
)

model_class, load_model = lookups(MODELS, Model)

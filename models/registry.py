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
        # TensorFlow Probability
        "mdn": "dgpbench.models.tfp.mdn:MDN",
        "glmm_vi": "dgpbench.models.tfp.glmm_vi:GlmmVI",
        # PyTorch
        "diffusion": "dgpbench.models.torch.diffusion:Diffusion",
        "diffusion_joint": "dgpbench.models.torch.diffusion:DiffusionJoint",
        "tarnet": "dgpbench.models.torch.causal_nets:TARNet",
        "dcn_pd": "dgpbench.models.torch.causal_nets:DCNPD",
        "dragonnet": "dgpbench.models.torch.causal_nets:Dragonnet",
    },
)

model_class, load_model = lookups(MODELS, Model)

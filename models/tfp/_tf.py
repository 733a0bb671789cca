"""Lazy, configured import of TensorFlow and TensorFlow Probability for the TFP models.

TensorFlow is imported only here, on the first fit of a TFP model, never when the registry,
``dgpbench list`` or a suite validation loads a model class. The first call also sets what
can only be set before TensorFlow initialises: quiet logs, the thread counts of
:func:`dgpbench.models.base.thread_count`, CPU placement (the TFP models here are small:
one CPU thread beats a GPU launch) and deterministic ops. Later calls return the cached
modules.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

from dgpbench.models.base import thread_count

_MODULES: tuple[Any, Any] | None = None


def _quiet_import() -> tuple[Any, Any]:
    """Import TF and TFP with C++ start-up chatter (CUDA plugin registration, cuInit on a
    machine without a GPU) kept off stderr; it is re-emitted if the import fails."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # stderr replaced by an object without a fd
        fd = None
    if fd is None:
        import tensorflow as tf
        import tensorflow_probability as tfp
        return tf, tfp
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            import tensorflow as tf
            import tensorflow_probability as tfp
        except Exception:
            os.dup2(saved, fd)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, fd)
            os.close(saved)
    return tf, tfp


def tf_modules() -> tuple[Any, Any]:
    """``(tensorflow, tensorflow_probability)``, configured on first use."""
    global _MODULES
    if _MODULES is not None:
        return _MODULES
    tf, tfp = _quiet_import()
    n = thread_count()
    try:  # only possible before TF's runtime initialises (first op); else keep its setting
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError:
        pass
    tf.config.experimental.enable_op_determinism()
    _MODULES = (tf, tfp)
    return _MODULES

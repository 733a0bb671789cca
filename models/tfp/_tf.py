"""Lazy, configured import of TensorFlow and TensorFlow Probability for the TFP models.

TensorFlow is imported only here, on the first fit of a TFP model, never when the registry,
``dgpbench list`` or a suite validation loads a model class. The first call also sets what
can only be set before TensorFlow initialises: quiet logs, the thread counts of
:func:`dgpbench.models.base.thread_count`, CPU placement (the TFP models here are small:
one CPU thread beats a GPU launch) and deterministic ops. Later calls return the cached
modules.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from typing import Any

from dgpbench.models.base import thread_count

_MODULES: tuple[Any, Any] | None = None


@contextlib.contextmanager
def _stderr_muted():
    """Keep C++ start-up chatter (CUDA plugin registration; cuInit on a machine without a
    GPU) off file descriptor 2; what was written comes back if the block raises."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # stderr replaced by an object without a fd
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        except Exception:
            os.dup2(saved, fd)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def tf_modules() -> tuple[Any, Any]:
    """``(tensorflow, tensorflow_probability)``, configured on first use."""
    global _MODULES
    if _MODULES is not None:
        return _MODULES
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_muted(), warnings.catch_warnings():
        # TFP's own use of distutils' LooseVersion
        warnings.filterwarnings("ignore", "distutils Version classes", DeprecationWarning)
        import tensorflow as tf
        import tensorflow_probability as tfp

        n = thread_count()
        try:  # only possible before TF's runtime initialises (first op); else keep its setting
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:
            pass
        tf.config.experimental.enable_op_determinism()
    # Python-side chatter: each fit builds its own tf.function, which TF reports as
    # "retracing" after the fifth fit in a process
    tf.get_logger().setLevel("ERROR")
    _MODULES = (tf, tfp)
    return _MODULES

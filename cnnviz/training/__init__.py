"""Training, pure NumPy: a loop that runs one mini-batch per call, evaluation, snapshots."""

from .evaluate import EvalResult, TrainingInterrupted, evaluate
from .trainer import BatchEvent, DeadRunError, DivergenceError, EpochEvent, StepResult, Trainer

__all__ = ["BatchEvent", "DeadRunError", "DivergenceError", "EpochEvent", "EvalResult", "StepResult",
           "Trainer", "TrainingInterrupted", "evaluate"]

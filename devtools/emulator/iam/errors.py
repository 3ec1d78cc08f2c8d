"""The emulator's refusal to guess: raised when a call or a policy cannot be decided as AWS would."""


class IamEmulationError(BaseException):
    """The emulator cannot decide a call or a policy as AWS would. A BaseException, so product code's
    `except Exception` cannot swallow it and let an undecided call pass as allowed."""

"""The FTMS exception hierarchy: everything the package raises derives from FtmsError."""

from .const import ControlOp, ResultCode


def _op_name(request_op: int) -> str:
    try:
        return ControlOp(request_op).name
    except ValueError:
        return f"op 0x{request_op:02X}"


class FtmsError(Exception):
    """Base class of every error raised by the FTMS package."""


class FtmsDecodeError(FtmsError):
    """The input is too short (or of the wrong kind) to mean anything.

    The only exception the parsers raise; anything decodable is decoded instead.
    """


class FtmsControlError(FtmsError):
    """The machine answered a control-point procedure with a result other than success."""

    def __init__(self, request_op: int, result: int) -> None:
        """Remember which procedure failed and the machine's result code."""
        self.request_op = request_op
        self.result = result
        super().__init__(f"{_op_name(request_op)} failed with result 0x{result:02X}")


class FtmsOpNotSupportedError(FtmsControlError):
    """Result 02: the machine does not support this procedure."""


class FtmsInvalidParameterError(FtmsControlError):
    """Result 03: the parameter is out of the machine's range or malformed."""


class FtmsOperationFailedError(FtmsControlError):
    """Result 04: the machine could not carry out the procedure."""


class FtmsControlNotPermittedError(FtmsControlError):
    """Result 05: this central does not hold control (Request Control first)."""


class FtmsTimeoutError(FtmsError):
    """The machine sent no response to a control-point procedure in time."""


class FtmsNotConnectedError(FtmsError):
    """Not connected, or the link dropped while a procedure was under way."""


class FtmsCommandDroppedError(FtmsError):
    """A command was discarded before it was written because a stop jumped the queue."""


_ERROR_FOR_RESULT: dict[int, type[FtmsControlError]] = {
    ResultCode.OP_CODE_NOT_SUPPORTED: FtmsOpNotSupportedError,
    ResultCode.INVALID_PARAMETER: FtmsInvalidParameterError,
    ResultCode.OPERATION_FAILED: FtmsOperationFailedError,
    ResultCode.CONTROL_NOT_PERMITTED: FtmsControlNotPermittedError,
}


def control_error_for(request_op: int, result: int) -> FtmsControlError:
    """Return the typed error for a failed result code (reserved codes give the base class)."""
    return _ERROR_FOR_RESULT.get(result, FtmsControlError)(request_op, result)

# Type stubs of the devcompat module (docs/python.md).
import os
from typing import (Any, ClassVar, Dict, Iterator, List, Literal, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union, overload)

_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_Verdict = Literal["compatible", "incompatible", "target-mismatch"]
_FactsLike = Union["Facts", Mapping[str, str]]
_Side = Union["Prepared", "Facts", Mapping[str, str]]

DEFAULT_POLICY_DIR: str
library_version: str


class Error(Exception):
    status: str
    diagnostics: Sequence["Diagnostic"]


class PolicyError(Error): ...
class FactsError(Error): ...
class NoPolicy(Error): ...
class AmbiguousPolicy(Error): ...


class Diagnostic(NamedTuple):
    file: str
    line: int
    col: int
    end_col: int
    severity: Literal["error", "warning"]
    message: str
    source_line: Optional[str]


class Reason(NamedTuple):
    block: Optional[int]
    block_name: Optional[str]
    file: str
    line: int
    field: Optional[str]
    expected: Optional[str]
    actual: Optional[str]
    message: str
    # by name only (a Reason unpacks as the 8 fields above)
    values: Dict[str, Union[int, str]]
    missing: Optional[List[str]]


class Target(NamedTuple):
    block: int
    block_name: Optional[str]
    facts: Dict[str, str]
    open: Dict[str, Dict[str, Optional[str]]]
    decided: bool


class Targets(NamedTuple):
    targets: List[Target]
    limited: bool
    tried: int


class Facts(Mapping[str, str]):
    name: Optional[str]
    def __init__(self, facts: Optional[_FactsLike] = ...) -> None: ...
    @classmethod
    def read(cls, source: _Path, sysfs_root: Optional[_Path] = ...) -> "Facts": ...
    @classmethod
    def parse(cls, text: Union[str, bytes], format: str = ..., name: str = ...,
              id: Optional[str] = ...) -> "Facts": ...
    @classmethod
    def from_sysfs(cls, dir: _Path, root: Optional[_Path] = ...) -> "Facts": ...
    def __getitem__(self, name: str) -> str: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def keys(self) -> List[str]: ...  # type: ignore[override]
    def values(self) -> List[str]: ...  # type: ignore[override]
    def items(self) -> List[Tuple[str, str]]: ...  # type: ignore[override]
    def to_dict(self) -> Dict[str, str]: ...


def read_inventory(source: _Path, sysfs_root: Optional[_Path] = ...) -> Dict[str, Facts]: ...
def parse_inventory(text: Union[str, bytes], format: str = ...,
                    name: str = ...) -> Dict[str, Facts]: ...


class Policy:
    name: str
    file: Optional[str]
    blocks: Tuple[Optional[str], ...]
    warnings: List[Diagnostic]
    @classmethod
    def compile(cls, text: Union[str, bytes], name: str = ...) -> "Policy": ...
    @classmethod
    def from_file(cls, path: _Path) -> "Policy": ...
    @classmethod
    def load(cls, data: bytes, name: str = ...) -> "Policy": ...
    def to_bytes(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...
    def save(self, path: _Path) -> None: ...
    def prepare(self, facts: _FactsLike) -> "Prepared": ...
    def fleet(self, targets: Sequence[_Side]) -> "Fleet": ...
    def check(self, source: _Side, target: _Side) -> "Result": ...
    @overload
    def check_many(self, source: _Side, targets: Union["Fleet", Sequence[_Side]],
                   *, blocks: Literal[False] = ...) -> List[_Verdict]: ...
    @overload
    def check_many(self, source: _Side, targets: Union["Fleet", Sequence[_Side]],
                   *, blocks: Literal[True]) -> List[Tuple[_Verdict, Optional[int]]]: ...
    def targets(self, source: _FactsLike, limit: int = ...) -> Targets: ...


class Prepared:
    policy: Policy
    name: Optional[str]


class Fleet:
    policy: Policy
    targets: Tuple[Prepared, ...]
    def __len__(self) -> int: ...


class Result:
    verdict: _Verdict
    compatible: bool
    block: Optional[int]
    block_name: Optional[str]
    bindings: Dict[str, Union[int, str]]
    reasons: List[Reason]
    explain: str
    policy: Policy
    source: Prepared
    target: Prepared
    def __bool__(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...


class PolicySet:
    policies: Tuple[Policy, ...]
    paths: Tuple[Optional[str], ...]
    dir: Optional[str]
    def __init__(self, policies: Sequence[Policy], paths: Optional[Sequence[str]] = ...) -> None: ...
    @classmethod
    def from_dir(cls, path: Optional[_Path] = ...) -> "PolicySet": ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Policy]: ...
    def policy_for(self, target: _FactsLike) -> Policy: ...
    def check(self, source: _FactsLike, target: _FactsLike) -> Result: ...


class Fit:
    ok: bool
    assignment: Dict[str, str]
    refused: Dict[str, Dict[str, Union[Result, Error]]]
    def __bool__(self) -> bool: ...
    def reasons(self) -> List[str]: ...


def fit_devices(policies: Union[Policy, PolicySet], sources: Mapping[str, _FactsLike],
                targets: Mapping[str, _FactsLike]) -> Fit: ...

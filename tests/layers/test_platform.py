import pytest

from sam_fastapi.layers.platform import LambdaPlatform, PlatformError


def test_al2023_arm64_accepts_every_aarch64_glibc_from_2_17_to_2_34_newest_first():
    tags = LambdaPlatform("python3.12", "arm64").platform_tags

    assert tags[0] == "manylinux_2_34_aarch64"
    assert tags[-1] == "manylinux2014_aarch64"
    assert "manylinux_2_17_aarch64" in tags
    assert "manylinux_2_35_aarch64" not in tags
    assert all(tag.endswith("_aarch64") for tag in tags)
    assert len([t for t in tags if t.startswith("manylinux_2_")]) == 34 - 17 + 1


def test_al2_x86_64_stops_at_glibc_2_26_and_names_the_legacy_aliases():
    tags = LambdaPlatform("python3.11", "x86_64").platform_tags

    assert tags[0] == "manylinux_2_26_x86_64"
    assert "manylinux_2_27_x86_64" not in tags
    for alias in ("manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"):
        assert alias in tags
    assert tags[-1] == "manylinux1_x86_64"
    assert all(tag.endswith("_x86_64") for tag in tags)


@pytest.mark.parametrize(("runtime", "glibc"), [
    ("python3.9", 26), ("python3.11", 26), ("python3.12", 34), ("python3.13", 34),
    ("python3.14", 34),
])
def test_runtime_decides_python_version_and_glibc(runtime, glibc):
    platform = LambdaPlatform(runtime, "x86_64")

    assert platform.python_version == runtime.removeprefix("python")
    assert platform.glibc_minor == glibc


@pytest.mark.parametrize(("runtime", "architecture", "message"), [
    ("nodejs20.x", "x86_64", "'nodejs20.x' is not a Lambda Python runtime"),
    ("python3", "x86_64", "'python3' is not a Lambda Python runtime"),
    ("python3.12", "aarch64", "'aarch64' is not a Lambda architecture (x86_64 or arm64)"),
])
def test_what_lambda_does_not_offer_is_refused(runtime, architecture, message):
    with pytest.raises(PlatformError) as error:
        LambdaPlatform(runtime, architecture)

    assert message in str(error.value)

from __future__ import annotations

import imgsearch


def test_everything_in_all_is_importable() -> None:
    for name in imgsearch.__all__:
        assert getattr(imgsearch, name) is not None, name


def test_export_model_is_the_exporter() -> None:
    from imgsearch.models.export import export_checkpoint

    assert imgsearch.export_model is export_checkpoint


def test_all_names_exactly_what_the_package_defines_for_users() -> None:
    import importlib
    import inspect

    public = {
        name
        for name, value in vars(imgsearch).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name not in ("annotations", "TYPE_CHECKING", "Any")
    }
    assert public | {"export_model", "__version__"} == set(imgsearch.__all__)
    for name in imgsearch.__all__:
        value = getattr(imgsearch, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            # the very object its defining module holds, under the same name
            home = importlib.import_module(value.__module__)
            assert getattr(home, value.__name__) is value, name

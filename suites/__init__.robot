*** Settings ***
Documentation    Lakehouse platform suites. Each suite tags its tests with the profiles it needs
...              (``profile:core``, ``profile:data-platform``, …); the suite setup starts exactly those.
...              Run all of them with ``./lh run``, or a folder with plain ``robot suites/01_foundation``.

Resource         ../resources/platform.resource

Suite Setup      Platform Suite Setup

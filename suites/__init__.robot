*** Settings ***
Documentation    Lakehouse platform suites. Each suite tags its tests with the profiles it needs
...              (``profile:core``, ``profile:data-platform``, …) and with one area
...              (``area:kafka``, ``area:bronze``, …); a few fast tests across areas are tagged ``smoke``.
...              Every suite file has its own setup (``Platform Suite Setup``) that starts exactly
...              its profiles, so ``robot suites``, ``robot suites/02_data_flows`` and
...              ``robot suites/02_data_flows/bronze_ingestion.robot`` all work on their own.
...              Run all of them with ``./lh run``, the smoke subset with ``./lh run --include smoke``.

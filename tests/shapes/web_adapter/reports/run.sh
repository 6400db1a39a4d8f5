#!/bin/bash
exec python main.py

"""TEST/SANDBOX INFRASTRUCTURE — never shipped. Trains the example models that config/example-isvcs names, from
data that ships inside the Python packages (no download), and writes them under a models directory:

  sklearn/mnist-svm.joblib   SVC on scikit-learn's 8x8 digits (64 features, classes 0-9)
  xgboost/mushroom.json      XGBClassifier, 126 binary features (edible 0 / poisonous 1)
  lightgbm/mushroom.bst      LightGBM binary booster on the same data (answers P(poisonous))
  sklearn/broken.joblib      bytes that are no model, for load-failure tests
  examples.json              known inputs and their expected classes, per model

Run with the cached environment's Python (scripts/python-env.sh): python train_examples.py <models dir>.
Deterministic: fixed seeds, single-threaded training; takes a few seconds.
"""

import json
import os
import sys

import joblib
import lightgbm
import numpy as np
import xgboost
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

SEED = 20240611

# The UCI mushroom data set (the 126 one-hot features of xgboost's agaricus demo) ships with none of these
# packages, so the mushroom examples use a generated stand-in of the same shape: its 22 categorical attributes
# with their documented numbers of values, one-hot encoded into 126 binary columns, drawn uniformly at random
# and labelled by a known rule that mimics the real data's strongest signal (odor).
MUSHROOM_CATEGORIES = [6, 4, 10, 2, 9, 4, 3, 2, 12, 2, 7, 4, 4, 9, 9, 2, 4, 3, 8, 9, 6, 7]
assert sum(MUSHROOM_CATEGORIES) == 126
ODOR = 4  # attribute index of "odor"
SPORE_PRINT_COLOR = 19
POISONOUS_ODORS = {2, 3, 5, 7, 8}
POISONOUS_SPORE_PRINT = 4


def mushroom_rule(categories):
    """Poisonous (1) when the odor is one of POISONOUS_ODORS or the spore print has the poisonous colour."""
    return int(categories[ODOR] in POISONOUS_ODORS or categories[SPORE_PRINT_COLOR] == POISONOUS_SPORE_PRINT)


def one_hot(categories):
    row = np.zeros(sum(MUSHROOM_CATEGORIES), dtype=np.float32)
    offset = 0
    for count, value in zip(MUSHROOM_CATEGORIES, categories):
        row[offset + value] = 1.0
        offset += count
    return row


def mushroom_data(rng, n):
    categories = np.stack([rng.integers(0, count, size=n) for count in MUSHROOM_CATEGORIES], axis=1)
    features = np.stack([one_hot(row) for row in categories])
    labels = np.array([mushroom_rule(row) for row in categories], dtype=np.int64)
    return categories, features, labels


def write_digits(models_dir):
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data.astype(np.float32), digits.target, test_size=0.2, random_state=SEED, stratify=digits.target
    )
    model = SVC(gamma=0.001, C=10.0, random_state=SEED)
    model.fit(x_train, y_train)
    accuracy = float((model.predict(x_test) == y_test).mean())
    # The first held-out sample of each of three different classes.
    picks = [int(np.flatnonzero(y_test == digit)[0]) for digit in (0, 4, 7)]
    path = os.path.join(models_dir, "sklearn", "mnist-svm.joblib")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    joblib.dump(model, path)
    return {
        "path": "sklearn/mnist-svm.joblib",
        "modelType": "sklearn",
        "features": 64,
        "datatype": "FP32",
        "inputs": [[float(v) for v in x_test[i]] for i in picks],
        "expectedClasses": [int(y_test[i]) for i in picks],
        "heldOutAccuracy": round(accuracy, 4),
    }


def mushroom_examples():
    """Two hand-made mushrooms: the first all-zero categories (edible), the second with a poisonous odor."""
    edible = [0] * len(MUSHROOM_CATEGORIES)
    poisonous = list(edible)
    poisonous[ODOR] = 2
    return [edible, poisonous]


def write_mushroom(models_dir):
    rng = np.random.default_rng(SEED)
    _, x_train, y_train = mushroom_data(rng, 4000)
    _, x_test, y_test = mushroom_data(rng, 1000)
    examples = mushroom_examples()
    x_examples = np.stack([one_hot(row) for row in examples])
    expected = [mushroom_rule(row) for row in examples]

    xgb = xgboost.XGBClassifier(n_estimators=20, max_depth=4, random_state=SEED, n_jobs=1)
    xgb.fit(x_train, y_train)
    xgb_path = os.path.join(models_dir, "xgboost", "mushroom.json")
    os.makedirs(os.path.dirname(xgb_path), exist_ok=True)
    xgb.save_model(xgb_path)

    lgb = lightgbm.train(
        {"objective": "binary", "num_leaves": 15, "seed": SEED, "num_threads": 1, "deterministic": True,
         "verbose": -1},
        lightgbm.Dataset(x_train, label=y_train),
        num_boost_round=30,
    )
    lgb_path = os.path.join(models_dir, "lightgbm", "mushroom.bst")
    os.makedirs(os.path.dirname(lgb_path), exist_ok=True)
    lgb.save_model(lgb_path)

    def entry(path, model_type, accuracy):
        return {
            "path": path,
            "modelType": model_type,
            "features": x_examples.shape[1],
            "datatype": "FP32",
            "inputs": [[float(v) for v in row] for row in x_examples],
            "expectedClasses": expected,
            "heldOutAccuracy": round(float(accuracy), 4),
        }

    xgb_accuracy = (xgb.predict(x_test) == y_test).mean()
    lgb_accuracy = ((lgb.predict(x_test) > 0.5).astype(np.int64) == y_test).mean()
    return [entry("xgboost/mushroom.json", "xgboost", xgb_accuracy),
            entry("lightgbm/mushroom.bst", "lightgbm", lgb_accuracy)]


def write_broken(models_dir):
    path = os.path.join(models_dir, "sklearn", "broken.joblib")
    with open(path, "wb") as f:
        f.write(b"this is not a joblib file\n")
    return "sklearn/broken.joblib"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: train_examples.py <models dir>")
    models_dir = os.path.abspath(sys.argv[1])
    models = [write_digits(models_dir), *write_mushroom(models_dir)]
    broken = write_broken(models_dir)
    with open(os.path.join(models_dir, "examples.json"), "w") as f:
        json.dump({"models": models, "broken": broken}, f, indent=1)
        f.write("\n")
    for model in models:
        print(f"{model['path']}: held-out accuracy {model['heldOutAccuracy']}, expected classes "
              f"{model['expectedClasses']}")


if __name__ == "__main__":
    main()
